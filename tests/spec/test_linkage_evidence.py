"""The evidence class of each record (``enclave.linkage.evidence``), on inline tables."""

from __future__ import annotations

import datetime

import numpy as np
import polars as pl
import pytest

from enclave.linkage.evidence import CLASSES, as_classes, edge_classes, identity_classes


def _identities(rows: list[tuple[str | None, str | None, str | None]]) -> pl.DataFrame:
    """Identity records as (ssn, ssn4, dob); row i is identity i."""
    return pl.DataFrame(
        {
            "ssn": [r[0] for r in rows],
            "ssn4": [r[1] for r in rows],
            "dob": [datetime.date.fromisoformat(r[2]) if r[2] else None for r in rows],
        },
        schema={"ssn": pl.String, "ssn4": pl.String, "dob": pl.Date},
    )


def _edges(pairs: list[tuple[int, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"id_l": [a for a, _ in pairs], "id_r": [b for _, b in pairs]},
        schema={"id_l": pl.Int64, "id_r": pl.Int64},
    )


def _classes(identities, pairs, clusters, records=None) -> list[str]:
    records = np.ones(len(clusters), dtype=np.int64) if records is None else np.array(records)
    codes = identity_classes(np.array(clusters), _edges(pairs), identities, records)
    return as_classes(codes).cast(pl.String).to_list()


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        (("123456789", "6789", None), ("123456789", "6789", None), "ssn"),
        ((None, "6789", "1980-01-02"), ("123456789", "6789", None), "ssn"),  # last four
        (("123456789", "6789", None), ("223456789", "6789", None), "name"),  # both full, differ
        ((None, None, "1980-01-02"), (None, None, "1980-01-02"), "dob"),
        ((None, None, "1980-01-02"), (None, None, "1980-02-01"), "dob"),  # day/month swapped
        ((None, None, "1980-01-02"), (None, None, "1986-01-02"), "dob"),  # one digit
        ((None, None, "1980-01-31"), (None, None, "1980-02-01"), "dob"),  # one day, a carry
        ((None, None, "1980-01-02"), (None, None, "1981-02-02"), "name"),
        ((None, None, None), (None, None, "1980-01-02"), "name"),
    ],
)
def test_edge_classes(left, right, expected):
    code = edge_classes(_edges([(0, 1)]), _identities([left, right]))
    assert {0: "ssn", 1: "dob", 2: "name"}[int(code[0])] == expected


def test_a_record_reached_by_name_alone_is_name_only():
    ids = _identities(
        [
            ("123456789", "6789", None),  # 0: wage record
            ("123456789", "6789", None),  # 1: wage record, same SSN
            (None, None, "1990-05-06"),  # 2: school record, shares only a name with 1
            (None, None, "1990-05-06"),  # 3: birth record, same DOB as 2
        ]
    )
    classes = _classes(ids, [(0, 1), (1, 2), (2, 3)], [0, 0, 0, 0])
    # 2 and 3 share a DOB with each other, but their person was reached by name only
    assert classes == ["ssn", "ssn", "name_only", "name_only"]


def test_the_anchor_is_the_strong_component_with_most_records():
    ids = _identities(
        [(None, None, "1990-05-06"), (None, None, "1990-05-06"), ("123456789", "6789", None)]
    )
    # the wage record stands for 40 records, the school pair for 2
    assert _classes(ids, [(0, 1), (1, 2)], [0, 0, 0], records=[1, 1, 40]) == [
        "name_only",
        "name_only",
        "single",
    ]
    assert _classes(ids, [(0, 1), (1, 2)], [0, 0, 0], records=[30, 30, 40]) == [
        "dob",
        "dob",
        "name_only",
    ]


def test_alone_in_a_cluster_is_single_and_ssn_beats_dob():
    ids = _identities(
        [
            ("123456789", "6789", "1970-01-01"),
            ("123456789", "6789", "1970-01-01"),
            (None, None, "1970-01-01"),
            (None, None, None),
        ]
    )
    assert _classes(ids, [(0, 1), (1, 2)], [0, 0, 0, 3]) == ["ssn", "ssn", "dob", "single"]
    assert set(CLASSES) == {"ssn", "dob", "name_only", "single"}


def test_no_edges_at_all():
    ids = _identities([(None, None, None)] * 3)
    assert _classes(ids, [], [0, 1, 2]) == ["single"] * 3
