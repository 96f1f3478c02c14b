"""What each link rests on, carried to the analyst: the evidence class of a record.

A study should be able to ask whether its result holds without the links that rest
on a name alone. So every crosswalk row gets ``link_evidence``:

* ``ssn``: the record is held in its person by a link whose two identity records
  share the SSN (all nine digits, or the last four where a side has only those);
* ``dob``: by a link that shares the date of birth: exactly, or up to one keying slip
  (day and month transposed, one digit, or one of day, month and year off by one);
* ``name_only``: the record's person was reached only through a link sharing neither,
  i.e. names (and perhaps sex, ZIP, middle initial);
* ``single``: no link placed it: its identity record is alone in its cluster, or it is
  the anchor that the others were linked to.

Within a predicted person, the links that share an SSN or a date of birth form strong
components; the largest (by records; ties to the smallest identity id) is the anchor.
Records in the anchor are ``ssn`` or ``dob`` by the best link they have inside it (or
``single`` if it is one identity record). Every record outside the anchor was joined
to it by names alone somewhere along the way, so it is ``name_only``, even if a strong
link ties it to other such records. Only codes are computed; no value is kept.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from enclave.contracts.base import LINK_EVIDENCE as EVIDENCE
from enclave.contracts.base import LINK_EVIDENCE_CLASSES as CLASSES
from enclave.linkage.cluster import connected_components

_SSN, _DOB, _NAME, _SINGLE = range(4)


#: each digit of YYYYMMDD: the date part and the power of ten it stands for
_DIGITS = (
    *(("year", power) for power in (1000, 100, 10, 1)),
    *((part, power) for part in ("month", "day") for power in (10, 1)),
)


def _digit(date: pl.Expr, part: str, power: int) -> pl.Expr:
    return getattr(date.dt, part)().cast(pl.Int32) // power % 10


def _dob_close(left: pl.Expr, right: pl.Expr) -> pl.Expr:
    """Dates of birth equal, or one keying slip apart (as the model's DOB levels)."""
    # the eight digits of YYYYMMDD, as integers (no text per edge: 12M edges at 1M)
    differing = pl.sum_horizontal(
        (_digit(left, part, power) != _digit(right, part, power)).cast(pl.Int8)
        for part, power in _DIGITS
    )
    days = (left - right).dt.total_days().abs()
    months = (
        (left.dt.year().cast(pl.Int32) * 12 + left.dt.month().cast(pl.Int32))
        - (right.dt.year().cast(pl.Int32) * 12 + right.dt.month().cast(pl.Int32))
    ).abs()
    swapped = (
        (left.dt.year() == right.dt.year())
        & (left.dt.month() == right.dt.day())
        & (left.dt.day() == right.dt.month())
    )
    one_unit = (days == 1) | ((left.dt.day() == right.dt.day()) & months.is_in([1, 12]))
    known = left.is_not_null() & right.is_not_null()  # sum_horizontal counts a null as 0
    return known & ((differing <= 1) | swapped | one_unit)


def edge_classes(edges: pl.DataFrame, identities: pl.DataFrame) -> np.ndarray:
    """Per edge (``id_l``, ``id_r`` identity ids; row ``i`` of ``identities`` is identity
    ``i``): 0 if the two share the SSN, 1 the date of birth, 2 neither."""
    if edges.is_empty():
        return np.zeros(0, dtype=np.int8)
    ids = identities.select("ssn", "ssn4", "dob")
    left = ids.gather(edges.get_column("id_l")).rename(lambda c: f"{c}_l")
    right = ids.gather(edges.get_column("id_r")).rename(lambda c: f"{c}_r")
    both = pl.concat([left, right], how="horizontal")
    ssn = (pl.col("ssn_l") == pl.col("ssn_r")) | (
        (pl.col("ssn_l").is_null() | pl.col("ssn_r").is_null())
        & (pl.col("ssn4_l") == pl.col("ssn4_r"))
    )
    dob = _dob_close(pl.col("dob_l"), pl.col("dob_r"))
    code = (
        pl.when(ssn.fill_null(False))
        .then(pl.lit(_SSN, pl.Int8))
        .when(dob.fill_null(False))
        .then(pl.lit(_DOB, pl.Int8))
        .otherwise(pl.lit(_NAME, pl.Int8))
    )
    return both.select(code.alias("c")).get_column("c").to_numpy()


def identity_classes(
    clusters: np.ndarray, edges: pl.DataFrame, identities: pl.DataFrame, records: np.ndarray
) -> np.ndarray:
    """The evidence class code of each identity record (see the module docstring).

    ``clusters``: each identity's cluster; ``edges``: the links kept by clustering;
    ``records``: how many records each identity record stands for.
    """
    n = clusters.shape[0]
    codes = edge_classes(edges, identities)
    left = edges.get_column("id_l").to_numpy() if n and codes.size else np.zeros(0, np.int64)
    right = edges.get_column("id_r").to_numpy() if n and codes.size else np.zeros(0, np.int64)
    strong = codes < _NAME
    component = connected_components(n, left[strong], right[strong])
    # the anchor of each cluster: its strong component with the most records
    sizes = (
        pl.DataFrame({"cluster": clusters, "component": component, "records": records})
        .group_by("cluster", "component")
        .agg(pl.col("records").sum())
        .sort(["cluster", "records", "component"], descending=[False, True, False])
        .group_by("cluster", maintain_order=True)
        .agg(pl.col("component").first().alias("anchor"))
    )
    by_cluster = np.full(n, -1, dtype=np.int64)  # cluster labels are identity ids
    by_cluster[sizes.get_column("cluster").to_numpy()] = sizes.get_column("anchor").to_numpy()
    anchor = by_cluster[clusters]
    # best strong link of each identity inside its own strong component
    best = np.full(n, _SINGLE, dtype=np.int8)
    for side in (left[strong], right[strong]):
        np.minimum.at(best, side, codes[strong])
    out = np.where(component == anchor, best, np.int8(_NAME)).astype(np.int8)
    cluster_size = np.bincount(clusters, minlength=n) if n else np.zeros(0, np.int64)
    out[cluster_size[clusters] == 1] = _SINGLE
    return out


def as_classes(codes: np.ndarray) -> pl.Series:
    """Class codes as the ``link_evidence`` column."""
    return pl.Series("link_evidence", np.asarray(CLASSES)[codes], dtype=pl.String).cast(EVIDENCE)
