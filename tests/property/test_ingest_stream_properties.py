"""Batching is invisible: a delivery ingested a few lines (and a few bytes) at a time
gives exactly the tables, quarantine, report or file fault of the whole file at once."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

# the toy contracts live with the spec tests
sys.path.insert(0, str(Path(__file__).parents[1] / "spec"))
from ingest_corpus import CASES
from ingest_stream_toys import HEADER, STREAM, ToyGrainRaw
from ingest_toys import PARAMS, ToyRaw

from enclave.errors import InputError
from enclave.ingest import ingest

WHOLE = 10**9


def _outcome(contract, data: bytes, params, batch_rows: int, chunk_bytes: int):
    """The file fault, or the tables and report, of one ingestion."""
    params = dataclasses.replace(params, batch_rows=batch_rows)
    try:
        result = ingest(contract, data, params, chunk_bytes=chunk_bytes)
    except InputError as exc:
        return str(exc)
    return result


def _same(batched, whole) -> None:
    if isinstance(whole, str):
        assert batched == whole
        return
    assert not isinstance(batched, str), batched
    assert batched.report == whole.report
    for name in ("identifiers", "content", "quarantine"):
        assert getattr(batched, name).equals(getattr(whole, name)), name


def _batchable(contract):
    """The contract, with the toy's custom grain check declared as metadata instead
    (a custom frame check would make ingestion read the file in one batch)."""
    if contract.raw is ToyRaw:
        return dataclasses.replace(contract, raw=ToyGrainRaw, grain_key=("PID", "START"))
    return contract


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_every_corpus_case_is_the_same_in_small_batches(case):
    for contract in (case.contract, _batchable(case.contract)):
        whole = _outcome(contract, case.data, case.params, WHOLE, WHOLE)
        for batch_rows, chunk_bytes in ((1, 1), (2, 7), (3, 64)):
            batched = _outcome(contract, case.data, case.params, batch_rows, chunk_bytes)
            _same(batched, whole)


PID = st.sampled_from(["001", "002", "003", "4x"])
START = st.sampled_from(["20200101", "20200201", "2020013", "19000101"])
CAT = st.sampled_from(["A", "B", "Z"])
NAME = st.sampled_from(["Ann", "José", '"Lee, Jr"', "", '"Ñu ""N"""', '"bad"x', " "])
GOOD = st.builds(lambda *f: ",".join(f), PID, START, CAT, NAME)
ODD = st.sampled_from(["", "  ", "001,20200101,A", "001,20200101,A,Ann,extra", '"', "\t"])
LINE = st.one_of(GOOD, GOOD, GOOD, ODD)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(LINE, max_size=14),
    repeat=st.lists(st.integers(0, 13), max_size=3),
    eol=st.sampled_from(["\n", "\r\n"]),
    tail=st.sampled_from(["", "\n", "\n \n", "\r\n\n"]),
    batch_rows=st.sampled_from([1, 2, 3, 7]),
    chunk_bytes=st.sampled_from([1, 5, 32, 10**6]),
    limit=st.sampled_from([0.5, 1.0]),
)
# found by Hypothesis: quoted lines parse after the others, so the exact pass over
# candidate rows once numbered them by position and called the first copy the repeat
@example(
    rows=["001,20200101,A,Ann,extra", '001,20200101,A,"bad"x', '001,20200101,A,"bad"x'],
    repeat=[0],
    eol="\n",
    tail="",
    batch_rows=1,
    chunk_bytes=1,
    limit=1.0,
)
def test_small_batches_give_the_whole_file_outcome(
    rows, repeat, eol, tail, batch_rows, chunk_bytes, limit
):
    # copies of earlier rows appended, so repeats span batches
    rows = rows + [rows[i % len(rows)] for i in repeat] if rows else rows
    data = (eol.join([HEADER, *rows]) + tail).encode("utf-8")
    params = dataclasses.replace(PARAMS, max_malformed_share=limit)
    whole = _outcome(STREAM, data, params, WHOLE, WHOLE)
    _same(_outcome(STREAM, data, params, batch_rows, chunk_bytes), whole)


@given(
    data=st.binary(max_size=200).map(lambda b: b.replace(b"\x00", b"\n")),
    chunk_bytes=st.integers(1, 40),
)
def test_chunks_cut_at_line_ends_and_digest_the_file(data, chunk_bytes):
    """Chunks are the file's bytes in order, each but the last ending a line (a block
    without a line end carries over whole), and the digest taken as they pass is the
    file's."""
    import hashlib

    from enclave.delivery import Delivery
    from enclave.ingest import _digested

    digest = hashlib.sha256()
    chunks = list(_digested(Delivery.from_bytes(data, chunk_bytes).chunks(), digest))
    assert b"".join(chunks) == data
    assert all(chunks) and all(c.endswith(b"\n") for c in chunks[:-1])
    assert all(c.count(b"\n") for c in chunks[:-1])
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
