"""The Dask executor gives the local executor's numbers, on a real 2-worker LocalCluster."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import StudyError
from engine.evaluate.core import METRICS, evaluate
from engine.evaluate.distributed import evaluate_dask

distributed = pytest.importorskip("distributed")


def _case(n=700, k=9, seed=11):
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    bench = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    sig = (rng.random((n, k)) > 0.55).astype(float)
    sig[:40, 1] = np.nan
    sig[:, -1] = rng.normal(size=n)  # one numeric column exercises the IC path
    numeric = np.zeros(k, bool)
    numeric[-1] = True
    ep = np.zeros(n, bool)
    ep[200:500] = True
    return close, bench, sig, numeric, [("all", np.ones(n, bool)), ("mid", ep)]


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    cl = distributed.Client(cluster)
    yield cl
    cl.close()
    cluster.close()


def test_dask_equals_local(client):
    close, bench, sig, numeric, eps = _case()
    horizons = np.array([1, 5, 21])
    local = evaluate(close, sig, numeric, horizons, eps, mode="events", bench_close=bench,
                     n_boot=200, seed=3)
    remote = evaluate_dask(close, sig, numeric, horizons, eps, "events", bench, 200, 3,
                           chunk=2, client=client)
    assert remote.episode_names == local.episode_names
    for name in METRICS:
        np.testing.assert_allclose(remote.metrics[name], local.metrics[name], rtol=1e-12,
                                   atol=1e-15, equal_nan=True, err_msg=name)
    assert np.isfinite(local.metrics["boot_low"]).any()  # the bootstrap really ran


def test_unreachable_scheduler_is_a_clear_error():
    close, _, sig, numeric, eps = _case(n=100, k=2)
    with pytest.raises(StudyError) as err:
        evaluate_dask(close, sig, numeric, np.array([1]), eps, "events", None, 0, 0,
                      scheduler="tcp://127.0.0.1:9", connect_timeout="1s")
    assert "scheduler" in str(err.value)
