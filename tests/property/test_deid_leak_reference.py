"""The leak reference holds its invariants by construction: the chunk scan binary-searches
it, so it must be sorted whatever order a caller builds it in. Fed references in any
order, the chunk scan flags exactly the values that the plain scan flags."""

from __future__ import annotations

import datetime
import random

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from enclave.deid.leakscan import LeakReference, scan_frame
from enclave.deid.stream import SortedReference, scan_chunk
from enclave.errors import LeakError

ids = st.text(alphabet="ABCXYZ0123456789-", min_size=1, max_size=6)
names = st.sampled_from(["ANN", "BO", "CRUZ", "DEE", "EVA", "ZED"])
dates = st.dates(datetime.date(1990, 1, 1), datetime.date(1990, 1, 8))


def _outcome(scan, frame: pl.DataFrame, reference: LeakReference) -> str | None:
    try:
        scan(frame, reference, "t.parquet")
    except LeakError as exc:
        return exc.kind
    return None


@settings(max_examples=200, deadline=None)
@given(
    pool=st.lists(ids, min_size=1, max_size=25),
    pairs=st.lists(st.tuples(names, dates), max_size=10),
    order=st.randoms(use_true_random=False),
    probe=st.lists(ids, max_size=6),
    leak=st.booleans(),
    as_sorted=st.booleans(),
)
# the case found by hand: an unsorted pool hid a leaked id from the binary search
@example(
    pool=["Z9", "A1", "M5"],
    pairs=[],
    order=random.Random(0),
    probe=[],
    leak=True,
    as_sorted=True,
)
def test_chunk_scan_flags_ids_whatever_the_reference_order(
    pool, pairs, order, probe, leak, as_sorted
):
    shuffled = list(pool)
    order.shuffle(shuffled)
    name_dob = pl.DataFrame(
        {"name": [n for n, _ in pairs], "dob": [d for _, d in pairs]},
        schema={"name": pl.String, "dob": pl.Date},
    )
    kind = SortedReference if as_sorted else LeakReference
    reference = kind(agency_ids=pl.Series(shuffled, dtype=pl.String), name_dob=name_dob)
    values = probe + ([pool[len(pool) // 2]] if leak else [])
    frame = pl.DataFrame({"note": values}, schema={"note": pl.String})
    expected = "agency_id" if set(values) & set(pool) else None
    if expected is None and _outcome(scan_frame, frame, reference) == "ssn_pattern":
        expected = "ssn_pattern"
    assert _outcome(scan_chunk, frame, reference) == expected
    assert _outcome(scan_frame, frame, reference) == expected


@settings(max_examples=100, deadline=None)
@given(
    pool=st.lists(st.one_of(ids, st.none()), max_size=30),
    pairs=st.lists(st.tuples(names, dates), max_size=12),
    seed=st.integers(0, 2**16),
)
def test_a_reference_is_sorted_however_it_is_built(pool, pairs, seed):
    frame = pl.DataFrame(
        {"name": [n for n, _ in pairs], "dob": [d for _, d in pairs]},
        schema={"name": pl.String, "dob": pl.Date},
    ).sample(fraction=1.0, shuffle=True, seed=seed)
    series = pl.Series(pool, dtype=pl.String).sample(fraction=1.0, shuffle=True, seed=seed)
    for kind in (LeakReference, SortedReference):
        reference = kind(agency_ids=series, name_dob=frame)
        assert reference.agency_ids.to_list() == sorted(p for p in pool if p is not None)
        assert reference.name_dob.get_column("name").is_sorted()
        assert sorted(reference.name_dob.rows()) == sorted(frame.rows())
    lengths = SortedReference(agency_ids=series, name_dob=frame).id_lengths.to_list()
    assert sorted(lengths) == sorted({len(p.encode()) for p in pool if p is not None})


@given(pairs=st.lists(st.tuples(names, dates), min_size=1, max_size=8), seed=st.integers(0, 99))
@settings(max_examples=100, deadline=None)
def test_name_with_birth_date_is_found_whatever_the_pair_order(pairs, seed):
    name, dob = pairs[-1]
    reference = LeakReference(
        agency_ids=pl.Series(["Q1"]),
        name_dob=pl.DataFrame(
            {"name": [n for n, _ in pairs], "dob": [d for _, d in pairs]},
            schema={"name": pl.String, "dob": pl.Date},
        ).sample(fraction=1.0, shuffle=True, seed=seed),
    )
    frame = pl.DataFrame({"who": [name.lower()], "when": [dob]})
    assert _outcome(scan_chunk, frame, reference) == "name_with_birth_date"
