"""rally-study: did rally signals actually predict forward returns?"""

from __future__ import annotations

__version__ = "0.1.0"
