"""The project's one error type for bad input.

Every problem a user can fix (a bad file, an unknown id, a wrong parameter) is raised as
``StudyError`` with a message naming *where* (file, key or field), *what* is wrong and
*how* to fix it. The CLI turns it into exit code 2 with no traceback; anything else is a
bug (exit code 1).
"""

from __future__ import annotations


class StudyError(Exception):
    """Bad input the user can fix. ``str(err)`` is the full, user-facing message."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None, fix: str | None = None):
        self.message = message
        self.where = where
        self.fix = fix
        parts = [f"{where}: {message}" if where else message]
        if fix:
            parts.append(f"Fix: {fix}")
        super().__init__("\n".join(parts))

    def __reduce__(self):
        """Pickled whole (message, where, fix): report charts are built in worker processes,
        whose errors reach the parent by pickle."""
        return _rebuild, (type(self), self.message, self.where, self.fix)


def _rebuild(cls: type[StudyError], message: str, where: str | None,
             fix: str | None) -> StudyError:
    return cls(message, where=where, fix=fix)


class DataError(StudyError):
    """A dataset, mirror file or catalog entry is missing, malformed or stale."""


class SpecError(StudyError):
    """A study file is malformed or asks for something that does not exist."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread (see ``engine.atomic``) so that every ``finally``
    and ``except BaseException`` on the way out removes its temporary files, as for Ctrl-C."""
