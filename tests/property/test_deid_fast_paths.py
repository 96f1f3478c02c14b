"""The fast paths of deidentify give what the plain polars operations they replace give:
the join on record keys, the record sort, the county generalisation, ZIP to county."""

from __future__ import annotations

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from enclave import geography
from enclave.deid.deidentify import _county_of_zip, _generalise_counties, _sort_records
from enclave.deid.leakscan import LeakReference, scan_frame
from enclave.deid.pseudonym import (
    keyed_record_ids,
    keyed_record_numbers,
    project_key,
    record_ids_of_numbers,
)
from enclave.deid.stream import join_links, link_rows, merge_reference, scan_chunk
from enclave.errors import LeakError

KEY = project_key(bytes(32), "demo", "record")
#: record keys as INTERFACES.md has them, and malformed ones the fast path must refuse
numbers = st.integers(0, 99)
good_keys = numbers.map(lambda i: f"idhs-{i:09d}")
odd_keys = st.sampled_from(
    ["idhs-+00000001", "idhs--00000001", "idhs-00000001", "hfs-000000001", "idhs-0000000x1", ""]
)


def _hash_join(frame: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    return frame.join(links, on="record_key", how="inner")


def _same_rows(left: pl.DataFrame, right: pl.DataFrame) -> bool:
    return left.sort(left.columns, nulls_last=True).equals(
        right.select(left.columns).sort(left.columns, nulls_last=True)
    )


@settings(max_examples=150, deadline=None)
@given(
    content=st.lists(st.one_of(good_keys, good_keys, odd_keys, st.none()), max_size=40),
    linked=st.lists(st.one_of(good_keys, good_keys, odd_keys), max_size=40, unique=True),
    shuffle=st.booleans(),
)
def test_join_links_equals_the_hash_join(content, linked, shuffle):
    links = pl.DataFrame(
        {"record_key": linked, "pid": [f"p{i}" for i in range(len(linked))]},
        schema={"record_key": pl.String, "pid": pl.String},
    )
    links = (
        links.sample(fraction=1.0, shuffle=True, seed=3) if shuffle else links.sort("record_key")
    )
    frame = pl.DataFrame(
        {"record_key": content, "row": list(range(len(content)))},
        schema={"record_key": pl.String, "row": pl.Int64},
    )
    assert _same_rows(_hash_join(frame, links), join_links(frame, links))


def test_link_rows_takes_the_fast_path_on_record_keys_only():
    links = pl.Series([f"idhs-{i:09d}" for i in range(0, 20, 2)])
    found, rows = link_rows(pl.Series(["idhs-000000004", "idhs-000000005"]), links)
    assert found.tolist() == [True, False] and rows[0] == 2
    assert link_rows(pl.Series(["idhs-+00000004"]), links) is None  # a sign: not a number
    assert link_rows(pl.Series(["idhs-000000004"]), links.reverse()) is None  # unsorted


@settings(max_examples=100, deadline=None)
@given(
    keys=st.lists(st.integers(0, 10**6).map(lambda i: f"isbe-{i:09d}"), max_size=60),
    orders=st.lists(st.integers(0, 4), min_size=60, max_size=60),
    upper=st.booleans(),
)
def test_sort_records_equals_the_text_sort(keys, orders, upper):
    pids = keyed_record_ids(pl.Series(keys, dtype=pl.String), KEY)
    if upper:  # not lowercase hex: the numeric order differs, the text sort must win
        pids = pids.str.to_uppercase()
    frame = pl.DataFrame(
        {"_order": pl.Series(orders[: len(keys)], dtype=pl.UInt32), "record_pid": pids}
    ).unique(maintain_order=True)
    expected = frame.sort("_order", "record_pid")
    assert _sort_records(frame).equals(expected)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 2**20),
            # leading bits that often tie, so the packed key must notice and fall back
            st.integers(0, 7).map(lambda high: high << 61) | st.integers(0, 2**64 - 1),
        ),
        max_size=60,
    ),
    low_bits=st.integers(0, 2**12),
)
def test_sort_on_numbered_records_equals_the_two_column_sort(rows, low_bits):
    frame = pl.DataFrame(
        {
            "_order": pl.Series([o for o, _ in rows], dtype=pl.UInt32),
            "_rid": pl.Series([(r | low_bits) % 2**64 for _, r in rows], dtype=pl.UInt64),
        }
    )
    assert _sort_records(frame).equals(frame.sort("_order", "_rid"))


def test_record_numbers_are_the_record_pseudonyms():
    keys = pl.Series([f"ides-{i:09d}" for i in range(0, 5000, 7)])
    numbers = keyed_record_numbers(keys, KEY)
    assert numbers is not None and numbers.dtype == pl.UInt64
    assert record_ids_of_numbers(numbers).equals(keyed_record_ids(keys, KEY))
    # numbers sort as the text does
    assert record_ids_of_numbers(numbers.sort()).equals(keyed_record_ids(keys, KEY).sort())
    assert keyed_record_numbers(pl.Series(["a", "bb"]), KEY) is None  # not one shape
    assert keyed_record_numbers(pl.Series(["a", None]), KEY) is None


NUMERIC_LOOKING = ["1.5", "1.50", "007", "7", "1e3", "1000.0", "NaN", "nan", "inf", "-0.0", "0.0"]


@settings(max_examples=150, deadline=None)
@given(
    dtype=st.sampled_from([pl.Int8, pl.Int64, pl.Float64]),
    values=st.lists(
        st.one_of(st.integers(-200, 200), st.floats(allow_nan=True, width=64), st.none()),
        max_size=30,
    ),
    as_ids=st.lists(st.integers(0, 29), max_size=3),
    others=st.lists(st.sampled_from(NUMERIC_LOOKING), max_size=4),
)
@example(dtype=pl.Float64, values=[0, -0.0], as_ids=[], others=["-0.0"])  # signed zeros
def test_numeric_agency_id_check_equals_the_text_check(dtype, values, as_ids, others):
    """``scan_chunk`` matches numbers against the ids that print back from a number;
    ``leakscan.scan_frame`` compares every value's text: they must agree."""
    column = pl.Series("amount", values, dtype=pl.Float64, strict=False).cast(dtype, strict=False)
    texts = column.cast(pl.String)
    ids = [texts[i] for i in as_ids if i < len(texts) and texts[i] is not None] + others
    reference = merge_reference(
        [
            LeakReference.from_identifiers(
                pl.LazyFrame(
                    {"agency_id": ids or ["X1"], "first_name": None, "dob": None},
                    schema={"agency_id": pl.String, "first_name": pl.String, "dob": pl.Date},
                )
            )
        ]
    )
    frame = column.to_frame()
    assert _scan_outcome(scan_chunk, frame, reference) == _scan_outcome(
        scan_frame, frame, reference
    )


def _scan_outcome(scan, frame, reference):
    try:
        scan(frame, reference, "t.parquet")
    except LeakError as exc:
        return str(exc)
    return None


def test_generalise_counties_maps_only_generalised_persons():
    frame = pl.DataFrame(
        {
            "county_fips": ["17031", "17031", "17043", None, "17201"],
            "level": pl.Series([0, 2, 3, 2, None], dtype=pl.Int8),
        }
    )
    out = _generalise_counties(frame).get_column("county_fips").to_list()
    assert out == ["17031", "R-COOK", None, None, "17201"]
    untouched = frame.filter(pl.col("level") == 0)
    assert _generalise_counties(untouched).equals(untouched)


def test_county_of_zip_equals_the_zip_mapping():
    known = list(geography.zip_county())[:20]
    odd = ["+6060", "-6060", "06060", " 60601", "60601 ", "606011", "6060", "", "99999", None]
    zips = pl.Series("zip", known + odd, dtype=pl.String)
    expected = zips.to_frame().select(geography.zip_to_county_expr("zip").alias("county_fips"))
    assert _county_of_zip(zips).equals(expected.to_series())
    assert _county_of_zip(zips).name == "county_fips"
