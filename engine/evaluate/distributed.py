"""Scale-out: evaluate the variant grid in chunks on a Dask cluster.

The evaluation of one variant never looks at another, so the (T, K) signal matrix splits into
column chunks evaluated independently; prices are scattered to the workers once. Bootstrap
draws depend only on the seed and T (common random numbers), so chunked results are identical
to the local executor's.
"""

from __future__ import annotations

import os
import re

import numpy as np

from engine.errors import StudyError

DEFAULT_CHUNK = 2000
TIMEOUT_ENV = "STUDY_DASK_TIMEOUT"
DEFAULT_TIMEOUT_S = 10.0
_ADDRESS = re.compile(r"(?:(tcp|tls)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.\-]*"
                      r"[A-Za-z0-9])?):([0-9]{1,5})", re.ASCII)
ADDRESS_FIX = "use tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786"


def check_address(address: str) -> str:
    """A scheduler address is ``[tcp|tls://]HOST:PORT``; anything else is refused up front
    (distributed would raise a bare ValueError, or try to connect for minutes)."""
    m = _ADDRESS.fullmatch(address)
    if m is None or not 0 < int(m.group(3)) < 65536:
        raise StudyError(f"{address!r} is not a scheduler address", where="--scheduler",
                         fix=ADDRESS_FIX)
    return address


def timeout_s() -> float:
    """Seconds to wait for the scheduler to connect and to answer each request."""
    text = os.environ.get(TIMEOUT_ENV)
    if text is None:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 86_400:
        raise StudyError(f"{TIMEOUT_ENV}={text!r} not allowed", where=TIMEOUT_ENV,
                         fix="give seconds, e.g. 30")
    return value


def _chunk_eval(close, bench, signals, numeric, horizons, episodes, mode, n_boot, seed,
                episode_tests=None):
    from engine.evaluate.core import evaluate

    return evaluate(close, signals, numeric, horizons, episodes, mode=mode, bench_close=bench,
                    n_boot=n_boot, seed=seed, episode_tests=episode_tests)


def merge_results(parts: list):
    """Concatenate per-chunk EvalResults along the variant axis."""
    from engine.evaluate.core import EvalResult

    first = parts[0]
    metrics = {k: np.concatenate([p.metrics[k] for p in parts], axis=0) for k in first.metrics}
    return EvalResult(metrics=metrics, horizons=first.horizons,
                      episode_names=list(first.episode_names),
                      episode_tests=first.episode_tests, past_data_end=first.past_data_end)


def evaluate_chunked(close, signals, numeric, horizons, episodes, mode, bench, n_boot, seed,
                     chunk: int = DEFAULT_CHUNK, submit=None, episode_tests=None):
    """Evaluate ``signals`` in column chunks; ``submit`` maps chunks (default: in-process)."""
    k = signals.shape[1]
    bounds = [(i, min(i + chunk, k)) for i in range(0, k, chunk)]
    if submit is None:
        parts = [_chunk_eval(close, bench, signals[:, a:b], numeric[a:b], horizons, episodes,
                             mode, n_boot, seed, episode_tests) for a, b in bounds]
    else:
        parts = submit(bounds)
    return merge_results(parts)


def probe(address: str, wait: float) -> None:
    """Ask the scheduler who it is, within ``wait`` seconds: a socket that accepts but never
    answers would otherwise hang ``Client(...)`` for minutes (its timeout covers the connect,
    not the handshake)."""
    import asyncio

    from distributed.core import rpc

    async def ask():
        remote = rpc(address)
        try:
            return await remote.identity()
        finally:
            await remote.close_rpc()

    asyncio.run(asyncio.wait_for(ask(), wait))


def evaluate_dask(close, signals, numeric, horizons, episodes, mode, bench, n_boot, seed,
                  scheduler: str | None = None, chunk: int | None = None, client=None,
                  connect_timeout: str | float | None = None, episode_tests=None):
    """Evaluate on Dask: ``scheduler`` is an address (tcp://host:8786); None starts a local
    cluster of two worker processes on 127.0.0.1. Connecting and every request to the
    scheduler time out after ``connect_timeout`` (default $STUDY_DASK_TIMEOUT or 10 s)."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise StudyError("the dask executor needs dask.distributed", where="--executor dask",
                         fix="pip install 'rally-study[dask]'") from None
    if connect_timeout is None:
        wait = timeout_s()
    elif isinstance(connect_timeout, str):
        wait = float(connect_timeout.removesuffix("s"))
    else:
        wait = float(connect_timeout)
    own = client is None
    cluster = None
    fix = (f"check the address ({ADDRESS_FIX.removeprefix('use ')}) and that the scheduler is "
           f"running; wait longer with {TIMEOUT_ENV}=SECONDS")
    config = {"distributed.comm.timeouts.connect": f"{wait}s",
              "distributed.comm.timeouts.tcp": f"{max(wait, 11.0)}s"}  # >= 11: keepalive probes
    if own:
        try:
            with dask.config.set(config):
                if scheduler:
                    probe(check_address(scheduler), wait)
                    client = Client(scheduler, timeout=f"{wait}s")
                else:
                    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None, host="127.0.0.1")
                    client = Client(cluster)
        except (OSError, TimeoutError) as exc:
            kind = "did not answer" if isinstance(exc, TimeoutError) or "Timed out" in str(
                exc) else "cannot be reached"
            raise StudyError(f"the Dask scheduler {scheduler or 'local cluster'} {kind} "
                              f"within {wait:g} s ({exc})", where="--scheduler",
                              fix=fix) from None
    try:
        try:
            info = client.scheduler_info()
        except (OSError, TimeoutError) as exc:
            raise StudyError(f"the Dask scheduler did not answer ({exc})", where="--scheduler",
                             fix=fix) from None
        n_workers = max(1, len(info.get("workers", {})))
        k = signals.shape[1]
        size = chunk or max(1, min(DEFAULT_CHUNK, -(-k // (2 * n_workers))))
        close_f, bench_f, episodes_f = client.scatter([close, bench, episodes], broadcast=True)

        def submit(bounds):
            futures = [client.submit(_chunk_eval, close_f, bench_f, signals[:, a:b], numeric[a:b],
                                     horizons, episodes_f, mode, n_boot, seed, episode_tests,
                                     pure=False)
                       for a, b in bounds]
            return client.gather(futures)

        return evaluate_chunked(close, signals, numeric, horizons, episodes, mode, bench, n_boot,
                                seed, chunk=size, submit=submit, episode_tests=episode_tests)
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
