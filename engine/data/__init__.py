"""The data layer: sources -> catalog -> datasets (Parquet) -> panel (aligned, point-in-time).

``sources/`` read raw public files, ``catalog`` declares every dataset, ``datasets`` builds and
loads the Parquet, ``dataops`` builds, lists and imports many at once, ``panel`` aligns what a
study needs on the target's trading days by availability date.
"""
