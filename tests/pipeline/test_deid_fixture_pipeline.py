"""deidentify then build through the CLI on a generated zone whose truth is known."""

from __future__ import annotations

import json

import polars as pl
import pytest

from enclave import cli
from enclave.testing.deid_zone import make_zone
from enclave.testing.governance import write_terms

PERSONS = 400


@pytest.fixture(scope="module")
def zone():
    return make_zone(PERSONS, seed=11)


def run_both(root, zone, project="demo"):
    staged, linkage = zone.write(root / "data")
    base = root / "data" / "research" / project / "base"
    analytic = root / "data" / "research" / project / "analytic"
    report = root / "reports" / "disclosure_risk" / f"{project}.json"
    common = ["--params", str(root / "params.yaml")]
    (root / "params.yaml").write_text("deid:\n  k_min: 3\nbuild:\n  spell_gap_months: 1\n")
    write_terms(root, project)
    assert cli.main(["deidentify", *common, "--project", project, "--staged", str(staged),
                     "--linkage", str(linkage), "--out", str(base),
                     "--report", str(report)]) == 0  # fmt: skip
    assert cli.main(["build", *common, "--base", str(base), "--out", str(analytic)]) == 0
    return base, analytic, report


@pytest.fixture(scope="module")
def master_key():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENCLAVE_MASTER_KEY", "17" * 32)
        yield


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, zone, master_key):
    return run_both(tmp_path_factory.mktemp("run1"), zone)


def read(directory, name):
    return pl.read_parquet(directory / f"{name}.parquet")


def test_counts_agree_with_the_generated_truth(zone, outputs):
    _, analytic, _ = outputs
    persons = read(analytic, "persons")
    assert persons.height == zone.crosswalk.get_column("person_key").n_unique()
    spells = read(analytic, "program_spells")
    # the generator gives each chosen person one Medicaid span and one prison stay
    assert spells.filter(pl.col("program") == "MEDICAID").height == zone.content["hfs"].height
    assert spells.filter(pl.col("program") == "PRISON").height == zone.content["idoc"].height
    events = read(analytic, "life_events").group_by("event").len()
    counts = dict(events.iter_rows())
    idph = zone.content["idph"]
    isbe = zone.content["isbe"].get_column("exit_status").value_counts()
    expected_exits = dict(isbe.iter_rows())
    assert counts.get("DEATH", 0) == idph.filter(pl.col("record_type") == "DEATH").height
    assert counts.get("PRISON_ADMISSION", 0) == zone.content["idoc"].height
    assert counts.get("GRADUATION", 0) == expected_exits.get("GRADUATED", 0)
    assert counts.get("DROPOUT", 0) == expected_exits.get("DROPOUT", 0)
    assert 0 < counts.get("BIRTH_OF_CHILD", 0) <= zone.family.height
    # youth custody: one stay per chosen person, admitted and (some) released
    djj = zone.content["djj"]
    assert djj.height > 0
    assert spells.filter(pl.col("program") == "DJJ_CUSTODY").height == djj.height
    assert spells.filter(pl.col("program") == "DJJ_CUSTODY")["agency"].unique().to_list() == ["djj"]
    assert counts.get("YOUTH_ADMISSION", 0) == djj.height
    assert counts.get("YOUTH_RELEASE", 0) == djj["release_date"].drop_nulls().len()
    # veterans' benefits: one claim per chosen veteran, a home stay for some of them, and
    # one military discharge each, however many records carry it
    idva = zone.content["idva"]
    homes = idva.filter(pl.col("benefit") == "HOME")
    assert 0 < homes.height < idva.height
    assert spells.filter(pl.col("program") == "VETERANS_CLAIM").height == idva.height - homes.height
    assert spells.filter(pl.col("program") == "VETERANS_HOME").height == homes.height
    veterans = idva.select("record_key").join(zone.crosswalk, on="record_key")["person_key"]
    assert counts.get("MILITARY_DISCHARGE", 0) == veterans.n_unique()
    assert counts.get("VETERANS_HOME_ADMISSION", 0) == homes.height
    assert counts.get("VETERANS_HOME_DISCHARGE", 0) == homes["benefit_end"].drop_nulls().len()
    # UI claims: one per chosen person, each a spell and an event of its own
    claims = zone.content["ides_ui"]
    assert claims.height > 0
    assert spells.filter(pl.col("program") == "UI_CLAIM").height == claims.height
    assert counts.get("UI_CLAIM", 0) == claims.height
    # energy assistance and training: one LIHEAP application or WIOA enrolment per chosen
    # person, each its own spell; enrolments and exits are life events
    dceo = zone.content["dceo"]
    for program in ("LIHEAP", "WIOA"):
        mine = spells.filter(pl.col("program") == program)
        assert mine.height == dceo.filter(pl.col("program") == program).height > 0, program
        assert mine["agency"].unique().to_list() == ["dceo"]
    wioa = dceo.filter(pl.col("program") == "WIOA")
    assert counts.get("WIOA_ENROLMENT", 0) == wioa.height
    assert counts.get("WIOA_EXIT", 0) == wioa["end_date"].drop_nulls().len() > 0


def test_every_pid_in_base_is_a_person(outputs):
    base, analytic, _ = outputs
    pids = set(read(base, "demographics").get_column("pid"))
    for path in base.glob("*.parquet"):
        if path.stem not in ("demographics", "family_links"):
            assert set(pl.read_parquet(path).get_column("pid")) <= pids
    assert set(read(analytic, "persons").get_column("pid")) == pids


def test_risk_report_has_class_sizes_and_no_values(outputs):
    _, _, report = outputs
    risk = json.loads(report.read_text())
    assert risk["k_min"] == 3 and risk["persons_below_k_after"] == 0
    after = {b["size"]: b["persons"] for b in risk["class_sizes_after"]}
    assert after["1"] == after["2"] == 0
    assert sum(after.values()) == risk["persons"] > 0


def test_reruns_are_byte_identical(tmp_path, zone, outputs):
    base, analytic, report = outputs
    base2, analytic2, report2 = run_both(tmp_path, zone)
    for first, second in ((base, base2), (analytic, analytic2)):
        names = sorted(p.name for p in first.glob("*.parquet"))
        assert names == sorted(p.name for p in second.glob("*.parquet"))
        for name in names:
            assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert report.read_bytes() == report2.read_bytes()
