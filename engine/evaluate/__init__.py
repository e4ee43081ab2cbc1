"""Did each signal variant predict forward returns? ``core`` (the vectorized evaluation),
``kernels`` (its compiled loops), ``stats`` (tests, intervals, q-values) and ``distributed``
(the same evaluation chunked over a Dask cluster).
"""
