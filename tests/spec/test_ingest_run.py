"""The stage at its edge: files written atomically and deterministically, a file-level
fault leaves earlier outputs untouched, and the CLI exits non-zero with one line."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from ingest_examples import render, rows
from ingest_toys import PARAMS

from enclave import cli, contracts
from enclave.errors import InputError
from enclave.ingest import run


def _land(tmp_path, agency: str, data: bytes):
    landing = tmp_path / "landing" / agency
    landing.mkdir(parents=True, exist_ok=True)
    (landing / contracts.get(agency).filename).write_bytes(data)
    return landing


def _run(tmp_path, agency: str, out: str):
    base = tmp_path / out
    run(agency, PARAMS, tmp_path / "landing" / agency, base / "s", base / "q", base / "r.json")
    return base


def _files(base):
    return {p.relative_to(base): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def test_outputs_are_deterministic(tmp_path):
    table = rows(contracts.get("idoc"), 12)
    table[4][0] = "bad"
    _land(tmp_path, "idoc", render(contracts.get("idoc"), [*table, table[1]]))
    first, second = _files(_run(tmp_path, "idoc", "a")), _files(_run(tmp_path, "idoc", "b"))
    assert len(first) == 5 and first == second  # tables, quarantine, report, manifest


def test_written_tables_and_report(tmp_path):
    table = rows(contracts.get("dcfs"), 6)
    table[0][contracts.get("dcfs").columns.index("EVENT_TYPE")] = "XXX"
    _land(tmp_path, "dcfs", render(contracts.get("dcfs"), table))
    base = _run(tmp_path, "dcfs", "out")
    report = json.loads((base / "r.json").read_text())
    assert report["rows_read"] == 6 and report["rows_quarantined"] == 1
    assert report["reasons"] == {"code:EVENT_TYPE": 1}
    flat = {k: v for k, v in report.items() if k not in ("reasons", "frame_checks_failed")}
    assert all(isinstance(v, int | bool) for v in flat.values())
    quarantine = pl.read_parquet(base / "q" / "rows.parquet")
    assert quarantine.columns == [*contracts.get("dcfs").columns, "record_key", "reasons"]
    assert quarantine.schema["reasons"] == pl.List(pl.String)
    staged = pl.read_parquet(base / "s" / "identifiers.parquet")
    assert staged["record_key"].to_list() == [f"dcfs-{i:09d}" for i in range(2, 7)]


def test_fault_leaves_earlier_outputs_untouched(tmp_path):
    contract = contracts.get("hfs")
    landing = _land(tmp_path, "hfs", render(contract, rows(contract, 5)))
    base = _run(tmp_path, "hfs", "out")
    before = _files(base)
    (landing / contract.filename).write_bytes(render(contract, []))  # header only
    params = Path(__file__).parents[2] / "params.yaml"
    args = [
        "validate",
        "hfs",
        "--params",
        str(params),
        "--landing",
        str(landing),
        "--staged",
        str(base / "s"),
        "--quarantine",
        str(base / "q"),
        "--report",
        str(base / "r.json"),
    ]
    assert cli.main(args) == 2
    assert _files(base) == before
    assert not [p for p in base.iterdir() if p.name.startswith(".")]


def test_a_stray_file_in_the_landing_folder_is_refused(tmp_path):
    contract = contracts.get("hfs")
    landing = _land(tmp_path, "hfs", render(contract, rows(contract, 5)))
    (landing / "hfs_elig_2024_12.csv").write_bytes(render(contract, rows(contract, 3)))
    with pytest.raises(InputError) as exc:
        _run(tmp_path, "hfs", "out")
    message = str(exc.value)
    assert exc.value.agency == "hfs" and exc.value.fault == "landing:unexpected_file"
    assert "hfs_elig_2024_12.csv" in message and contract.filename in message
    assert not (tmp_path / "out").exists()  # nothing written


def test_a_stray_file_stops_the_cli_with_one_line(tmp_path, caplog):
    contract = contracts.get("idoc")
    landing = _land(tmp_path, "idoc", render(contract, rows(contract, 5)))
    (landing / ".DS_Store").write_bytes(b"\0")
    base = tmp_path / "out"
    args = ["validate", "idoc", "--landing", str(landing), "--staged", str(base / "s")]
    args += ["--quarantine", str(base / "q"), "--report", str(base / "r.json")]
    args += ["--params", str(Path(__file__).parents[2] / "params.yaml")]
    assert cli.main(args) == 2
    assert "landing:unexpected_file" in caplog.text and ".DS_Store" in caplog.text
    assert not base.exists()
