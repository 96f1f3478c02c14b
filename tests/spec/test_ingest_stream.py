"""Ingestion in batches: checks over the whole file stay whole-file when the rows that
decide them fall in different batches, and record keys run on across batches."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest
from ingest_stream_toys import STREAM, delivery
from ingest_toys import PARAMS, ROWS, TOY, toy_csv

from enclave import config, contracts
from enclave import ingest as ingest_module
from enclave.delivery import Delivery
from enclave.errors import InputError
from enclave.ingest import ingest, unbatchable_checks

ROW = ["001,20200101,A,Ann", "002,20200101,B,Bo", "003,20200201,A,Cy", "004,20200301,B,Di"]


def _batched(n: int):
    return dataclasses.replace(PARAMS, batch_rows=n)


def test_duplicate_in_a_later_batch_is_quarantined():
    data = delivery([*ROW, ROW[0]])  # row 5 repeats row 1, two batches later
    result = ingest(STREAM, data, _batched(2))
    assert result.quarantine["record_key"].to_list() == ["strm-000000005"]
    assert result.quarantine["reasons"].to_list() == [["duplicate:row"]]
    assert result.report["duplicate_rows"] == 1
    assert result.report["rows_staged"] == 4


def test_grain_clash_across_batches_quarantines_both_rows():
    clash = "001,20200101,B,Ann"  # same PID and START as row 1, another category
    result = ingest(STREAM, delivery([*ROW, clash]), _batched(2))
    assert result.quarantine["record_key"].to_list() == ["strm-000000001", "strm-000000005"]
    assert result.report["reasons"] == {"grain_unique:row": 2}


def test_grain_clash_inside_one_batch_is_decided_file_wide():
    # a batch's own schema leaves the grain check out: the file-wide decision names
    # a clash whose rows share a batch as it names one across batches
    clash = "001,20200101,B,Ann"
    result = ingest(STREAM, delivery([ROW[0], clash, *ROW[1:]]), _batched(2))
    assert result.quarantine["record_key"].to_list() == ["strm-000000001", "strm-000000002"]
    assert result.report["reasons"] == {"grain_unique:row": 2}


def test_a_batch_leaves_out_only_a_grain_check_decided_file_wide():
    names = [check.name for check in ingest_module._batch_schema(STREAM.raw).checks]
    assert "grain_unique" in [c.name for c in STREAM.raw.to_schema().checks]
    assert "grain_unique" not in names
    assert [c.name for c in STREAM.raw.to_schema().checks].count("grain_unique") == 1
    # a model whose grain check is its own frame check keeps it (read in one batch)
    toy = [check.name for check in ingest_module._batch_schema(TOY.raw).checks]
    assert toy == [check.name for check in TOY.raw.to_schema().checks] == ["grain_unique"]


def test_record_keys_run_on_across_batches():
    result = ingest(TOY, toy_csv(), _batched(3))
    keys = [f"toy-{i:09d}" for i in range(1, len(ROWS) + 1)]
    assert result.identifiers["record_key"].to_list() == keys
    assert result.content["record_key"].to_list() == keys


def test_trailing_blank_lines_held_back_across_batches():
    data = delivery([ROW[0], "", ROW[1], "", " ", ""])
    result = ingest(STREAM, data, _batched(1), chunk_bytes=3)
    assert result.report["rows_read"] == 3 and result.report["trailing_blank_lines"] == 3
    assert result.report["reasons"] == {"blank_line:row": 1}


def test_malformed_share_over_the_whole_file_writes_nothing(tmp_path):
    # the first batch is clean; only the file as a whole is mostly malformed
    rows = [ROW[0], ROW[1], "005,20200101", "006", "007,x", "008"]
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / STREAM.filename).write_bytes(delivery(rows))
    out = tmp_path / "out"
    params = dataclasses.replace(_batched(2), max_malformed_share=0.5)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("enclave.contracts.get", lambda agency: STREAM)
        with pytest.raises(InputError) as exc:
            ingest_module.run("strm", params, landing, out / "s", out / "q", out / "r.json")
    assert exc.value.fault == "structure:malformed_rows"
    assert "4 of 6" in str(exc.value)
    assert not out.exists()


def test_undecodable_byte_offset_counts_earlier_chunks():
    data = toy_csv()
    bad = data[:-20] + b"\xff" + data[-19:]
    with pytest.raises(InputError) as whole:
        ingest(TOY, bad, PARAMS)
    with pytest.raises(InputError) as chunked:
        ingest(TOY, bad, _batched(2), chunk_bytes=16)
    assert str(chunked.value) == str(whole.value)
    assert f"offset {len(data) - 20}" in str(whole.value)


def test_chunks_end_at_line_ends_and_keep_every_byte():
    data = "a,é\r\nb\n\nccc\nd".encode()
    chunks = list(Delivery.from_bytes(data, chunk_bytes=2).chunks())
    assert b"".join(chunks) == data
    assert all(c.endswith(b"\n") for c in chunks[:-1])


def test_the_manifest_holds_each_delivery_digest_taken_in_its_encoding_pass(tmp_path):
    import hashlib
    import json

    landing = tmp_path / "landing"
    landing.mkdir()
    data = delivery([*ROW, "bad"])
    (landing / STREAM.filename).write_bytes(data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("enclave.contracts.get", lambda agency: STREAM)
        run = ("strm", PARAMS, landing, tmp_path / "s", tmp_path / "q", tmp_path / "r.json")
        ingest_module.run(*run)
        manifest = json.loads((tmp_path / "s" / ingest_module.MANIFEST).read_text())
        entry = manifest["deliveries"][ingest_module.FIRST]
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        # staged under this fingerprint from the same bytes: kept, not read again
        mp.setattr(ingest_module, "prepare", lambda *a, **k: pytest.fail("read again"))
        ingest_module.run(*run)


def test_run_streams_the_same_tables_as_ingest(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    data = delivery([*ROW, ROW[2], "001,20200101,B,Ann", "bad"])
    (landing / STREAM.filename).write_bytes(data)
    expected = ingest(STREAM, data, PARAMS)
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("enclave.contracts.get", lambda agency: STREAM)
            result = ingest_module.run(
                "strm", _batched(2), landing, out / "s", out / "q", out / "r.json"
            )
        outs.append({p.name: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert outs[0] == outs[1]
    assert result.report == expected.report
    assert result.quarantine.equals(expected.quarantine)
    staged = pl.read_parquet(tmp_path / "b" / "s" / "identifiers.parquet")
    assert staged.equals(expected.identifiers)
    assert result.content.collect().equals(expected.content)


@pytest.mark.parametrize("agency", config.AGENCIES)
def test_every_real_contract_streams_in_batches(agency):
    # a frame-level check other than the grain would force one whole-file batch
    assert unbatchable_checks(contracts.get(agency)) == []


def test_custom_frame_check_reads_the_file_in_one_batch():
    assert unbatchable_checks(TOY) == ["grain_unique"]
    clash = ROWS[0].replace(",A,", ",B,")  # same PID and START, another category
    result = ingest(TOY, toy_csv([*ROWS, clash]), _batched(2))
    assert result.report["reasons"] == {"grain_unique:row": 2}
