"""Scale-out: evaluate the variant grid in chunks on a Dask cluster.

The evaluation of one variant never looks at another, so the (T, K) signal matrix splits into
column chunks evaluated independently; prices are scattered to the workers once. Bootstrap
draws depend only on the seed and T (common random numbers), so chunked results are identical
to the local executor's.
"""

from __future__ import annotations

import numpy as np

from engine.errors import StudyError

DEFAULT_CHUNK = 2000


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


def evaluate_dask(close, signals, numeric, horizons, episodes, mode, bench, n_boot, seed,
                  scheduler: str | None = None, chunk: int | None = None, client=None,
                  connect_timeout: str = "10s", episode_tests=None):
    """Evaluate on Dask: ``scheduler`` is an address (tcp://host:8786); None starts a local
    cluster of two worker processes on 127.0.0.1."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise StudyError("the dask executor needs dask.distributed", where="--executor dask",
                         fix="pip install 'rally-study[dask]'") from None
    own = client is None
    cluster = None
    if own:
        try:
            if scheduler:
                client = Client(scheduler, timeout=connect_timeout)
            else:
                cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, host="127.0.0.1")
                client = Client(cluster)
        except (OSError, TimeoutError) as exc:
            raise StudyError(f"cannot reach the Dask scheduler ({exc})", where="--scheduler",
                             fix="check the address (tcp://HOST:8786) and that the scheduler "
                             "is running") from None
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
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
