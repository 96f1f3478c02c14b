"""The leak scan: planted canaries make ``deidentify`` fail and leave no output."""

from __future__ import annotations

import polars as pl
import pytest

from enclave.config import DeidParams
from enclave.deid import deidentify
from enclave.deid.leakscan import LeakReference, scan_frame
from enclave.errors import LeakError
from enclave.testing.deid_zone import make_zone

CANARY_SSN = "078-05-1120"


@pytest.fixture
def master_key(monkeypatch):
    monkeypatch.setenv("ENCLAVE_MASTER_KEY", "42" * 32)


def run_stage(tmp_path, zone):
    staged, linkage = zone.write(tmp_path / "in")
    out = tmp_path / "research" / "demo" / "base"
    report = tmp_path / "reports" / "demo.json"
    deidentify.run("demo", DeidParams(), staged, linkage, tmp_path / "landing", out, report)
    return out, report


def plant(zone, agency: str, column: str, value, row: int = 0):
    frame = zone.content[agency]
    values = frame.get_column(column).to_list()
    values[row] = value
    zone.content[agency] = frame.with_columns(pl.Series(column, values, dtype=frame[column].dtype))


def test_clean_zone_passes(tmp_path, master_key):
    out, report = run_stage(tmp_path, make_zone(120, 5))
    assert (out / "demographics.parquet").exists()
    assert report.exists()


def test_canary_ssn_in_content_fails_the_stage(tmp_path, master_key):
    zone = make_zone(120, 5)
    plant(zone, "dcfs", "finding", f"caller gave {CANARY_SSN}")
    with pytest.raises(LeakError) as exc:
        run_stage(tmp_path, zone)
    assert (exc.value.column, exc.value.kind) == ("finding", "ssn_pattern")
    assert "1120" not in str(exc.value)
    assert not (tmp_path / "research" / "demo" / "base").exists()


def test_canary_name_with_birth_date_fails_the_stage(tmp_path, master_key):
    zone = make_zone(120, 5)
    ids = zone.identifiers["dcfs"].row(0, named=True)
    # the first dcfs record's own person: their name in free text, their DOB as a date
    plant(zone, "dcfs", "placement_type", ids["first_name"].lower())
    plant(zone, "dcfs", "event_start", ids["dob"])
    with pytest.raises(LeakError) as exc:
        run_stage(tmp_path, zone)
    assert (exc.value.column, exc.value.kind) == ("placement_type", "name_with_birth_date")
    assert ids["first_name"].lower() not in str(exc.value).lower()
    assert not (tmp_path / "research" / "demo" / "base").exists()


def test_agency_id_in_content_fails_the_stage(tmp_path, master_key):
    zone = make_zone(120, 5)
    agency_id = zone.identifiers["hfs"].get_column("agency_id")[3]
    plant(zone, "hfs", "elig_category", agency_id)
    with pytest.raises(LeakError) as exc:
        run_stage(tmp_path, zone)
    assert (exc.value.column, exc.value.kind) == ("elig_category", "agency_id")


def test_a_previous_good_output_survives_a_failed_run(tmp_path, master_key):
    out, _ = run_stage(tmp_path, make_zone(120, 5))
    before = (out / "demographics.parquet").read_bytes()
    zone = make_zone(120, 5)
    plant(zone, "dcfs", "finding", "123456789")
    with pytest.raises(LeakError):
        run_stage(tmp_path, zone)
    assert (out / "demographics.parquet").read_bytes() == before


@pytest.mark.parametrize(
    ("value", "hit"),
    [
        ("123456789", True),
        ("123-45-6789", True),
        ("ssn 123 45 6789 noted", True),
        ("1234567890", False),  # ten digits: not an SSN shape
        ("a1234567890bcdef", False),  # a pseudonym with a digit run
        ("0012345678912345", False),
    ],
)
def test_ssn_pattern(value, hit):
    reference = LeakReference(
        agency_ids=pl.Series([], dtype=pl.String),
        name_dob=pl.DataFrame(schema={"name": pl.String, "dob": pl.Date}),
    )
    frame = pl.DataFrame({"text": [value]})
    if hit:
        with pytest.raises(LeakError):
            scan_frame(frame, reference, "f.parquet")
    else:
        scan_frame(frame, reference, "f.parquet")


def test_name_without_its_birth_date_is_not_a_leak():
    from datetime import date

    reference = LeakReference(
        agency_ids=pl.Series([], dtype=pl.String),
        name_dob=pl.DataFrame({"name": ["ROSA"], "dob": [date(1970, 2, 3)]}),
    )
    scan_frame(pl.DataFrame({"t": ["Rosa"], "d": [date(1970, 2, 4)]}), reference, "f")
    with pytest.raises(LeakError):
        scan_frame(pl.DataFrame({"t": [" rosa"], "d": [date(1970, 2, 3)]}), reference, "f")


def test_unknown_content_columns_are_dropped_and_missing_ones_refused(tmp_path, master_key):
    import json

    from enclave.errors import InputError

    zone = make_zone(120, 5)
    zone.content["dcfs"] = zone.content["dcfs"].with_columns(pl.lit("free text").alias("notes"))
    out, report = run_stage(tmp_path, zone)
    assert "notes" not in pl.read_parquet(out / "dcfs.parquet").columns
    assert json.loads(report.read_text())["content_columns_dropped"] == {"dcfs": ["notes"]}
    zone.content["hfs"] = zone.content["hfs"].drop("elig_start")
    with pytest.raises(InputError, match="elig_start"):
        run_stage(tmp_path / "again", zone)
