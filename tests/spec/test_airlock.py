"""The airlock: a study's outputs leave only after the output checker, two distinct output
checkers' approval and an unchanged re-hash; every step is audited once."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from enclave import cli
from enclave.disclosure import airlock, ledger, protect_1d
from enclave.disclosure.review import StudyRules
from enclave.governance import audit
from enclave.governance.agreement import DisclosureRules

REPO = Path(__file__).resolve().parents[2]
CHECKERS = ("olu_checker", "pat_checker", "rae_checker")
RULES = StudyRules(
    "overlap",
    "demo",
    ("hfs",),
    DisclosureRules(min_cell=10),
    frozenset(),
    frozenset({"ana_researcher", "ben_analyst", "olu_checker"}),  # olu also researches
)
PERIOD = "2019-01-01/2019-12-31"


@pytest.fixture
def store(tmp_path):
    return airlock.Store.under(tmp_path / "state")


@pytest.fixture
def log(tmp_path):
    return audit.Log(tmp_path / "state", b"k" * 32)


@pytest.fixture
def outputs(tmp_path):
    """A study folder with one certified count table."""
    folder = tmp_path / "outputs" / "overlap"
    write_table(folder / "tables" / "counties.csv", {"Adams": 40, "Brown": 55, "Cass": 30})
    return folder


def write_table(
    path: Path, counts: dict[str, int], population: str = "persons", min_cell=10, rounding=None
):
    frame = pl.DataFrame({"county": list(counts), "n": list(counts.values())})
    table = protect_1d(
        frame, "county", min_cell=min_cell, title="Persons by county", population=population,
        period=PERIOD, rounding=rounding,
    )  # fmt: skip
    return table.write_csv(path)


def ask(folder, store, log, user="ana_researcher", files=None) -> str:
    return airlock.request(folder, RULES, files, user=user, store=store, log=log)["id"]


def judge(request_id, user, store, log, approve=True, reason=None):
    return airlock.review(
        request_id, user=user, approve=approve, reason=reason, checkers=CHECKERS,
        store=store, log=log,
    )  # fmt: skip


def release(request_id, tmp_path, store, log):
    releases = tmp_path / "releases"
    return airlock.release(request_id, releases=releases, user="olu_checker", store=store, log=log)


def test_a_request_records_hashes_rules_and_certificates(outputs, store, log):
    request_id = ask(outputs, store, log)
    assert request_id == "overlap-0001" and ask(outputs, store, log) == "overlap-0002"
    record = store.load(request_id)
    files = {f["file"]: f["sha256"] for f in record["files"]}
    assert set(files) == {"tables/counties.csv", "tables/counties.csv.cert.json"}
    table = outputs / "tables" / "counties.csv"
    assert files["tables/counties.csv"] == hashlib.sha256(table.read_bytes()).hexdigest()
    assert record["checker"]["passed"] and record["checker"]["rules"]["min_cell"] == 10
    assert record["checker"]["rules"]["project"] == "demo"
    assert [c["file"] for c in record["certificates"]] == ["tables/counties.csv"]
    assert record["requester"] == "ana_researcher" and airlock.state_of(record) == "requested"


def test_a_named_table_brings_its_certificate_and_nothing_else(outputs, store, log):
    write_table(outputs / "tables" / "other.csv", {"Adams": 40, "Brown": 55}, "other persons")
    record = store.load(ask(outputs, store, log, files=["tables/other.csv"]))
    assert [f["file"] for f in record["files"]] == [
        "tables/other.csv", "tables/other.csv.cert.json",
    ]  # fmt: skip
    assert [c["file"] for c in record["certificates"]] == ["tables/other.csv"]


@pytest.mark.parametrize(("name", "message"), [
    ("../secret.csv", "outside the study's output folder"),
    ("tables/none.csv", "no such file"),
])  # fmt: skip
def test_a_file_outside_the_folder_or_missing_is_refused(outputs, store, log, name, message):
    with pytest.raises(airlock.AirlockError, match=message):
        ask(outputs, store, log, files=[name])


def test_a_blocked_folder_is_refused_at_request_with_findings_and_no_value(outputs, store, log):
    (outputs / "tables" / "raw.csv").write_text("county,n\nCass,3\n")
    with pytest.raises(airlock.ExportRefused, match="blocked by the output checker") as exc:
        ask(outputs, store, log, files=["tables/counties.csv"])
    message = str(exc.value)
    assert "tables/raw.csv: table: uncertified_table" in message
    assert "tables/raw.csv: column n: small_count" in message
    assert "Cass" not in message and ",3" not in message and " 3" not in message
    assert store.records() == [] and log.entries() == []


def test_self_review_is_refused(outputs, store, log):
    request_id = ask(outputs, store, log, user="olu_checker")
    with pytest.raises(airlock.AirlockError, match="olu_checker requested it and may not review"):
        judge(request_id, "olu_checker", store, log)
    assert store.load(request_id)["reviews"] == []


def test_a_reviewer_who_is_not_an_output_checker_is_refused(outputs, store, log):
    request_id = ask(outputs, store, log)
    with pytest.raises(airlock.AirlockError, match="ben_analyst is not an output checker"):
        judge(request_id, "ben_analyst", store, log)


def test_a_reviewer_reviews_a_request_once(outputs, store, log):
    request_id = ask(outputs, store, log)
    judge(request_id, "olu_checker", store, log)
    with pytest.raises(airlock.AirlockError, match="olu_checker has reviewed it already"):
        judge(request_id, "olu_checker", store, log)


def test_one_approval_is_not_enough_to_release(outputs, store, log, tmp_path):
    request_id = ask(outputs, store, log)
    judge(request_id, "olu_checker", store, log)
    assert airlock.state_of(store.load(request_id)) == "approved by 1"
    with pytest.raises(airlock.AirlockError, match=r"needs 2 approvals .* has 1"):
        release(request_id, tmp_path, store, log)
    assert not (tmp_path / "releases" / request_id).exists()
    assert ledger.read(store.ledger) == []


def test_two_distinct_approvals_release_with_manifest_hashes_and_ledger(outputs, store, log,
                                                                      tmp_path):  # fmt: skip
    request_id = ask(outputs, store, log)
    judge(request_id, "olu_checker", store, log)
    judge(request_id, "pat_checker", store, log)
    target = release(request_id, tmp_path, store, log)
    assert target == tmp_path / "releases" / request_id
    manifest = json.loads((target / "manifest.json").read_text())
    assert set(manifest["files"]) == {"tables/counties.csv", "tables/counties.csv.cert.json"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((target / name).read_bytes()).hexdigest() == digest
        assert (target / name).read_bytes() == (outputs / name).read_bytes()
    assert manifest["requested"]["by"] == "ana_researcher"
    assert [r["by"] for r in manifest["reviews"]] == ["olu_checker", "pat_checker"]
    assert manifest["rules"]["min_cell"] == 10 and manifest["checker"]["passed"]
    assert manifest["released"]["at"]
    [table] = ledger.read(store.ledger)
    assert (table.source, table.file, table.title) == (request_id, "tables/counties.csv",
                                                       "Persons by county")  # fmt: skip
    assert (table.population, table.period, table.dims) == ("persons", PERIOD, ("county",))
    assert airlock.state_of(store.load(request_id)) == "released"


def test_releasing_twice_is_refused(outputs, store, log, tmp_path):
    request_id = ask(outputs, store, log)
    judge(request_id, "olu_checker", store, log)
    judge(request_id, "pat_checker", store, log)
    release(request_id, tmp_path, store, log)
    with pytest.raises(airlock.AirlockError, match="released already"):
        release(request_id, tmp_path, store, log)
    with pytest.raises(airlock.AirlockError, match="released already"):
        judge(request_id, "rae_checker", store, log)
    assert len(ledger.read(store.ledger)) == 1


def test_a_rejection_blocks_release(outputs, store, log, tmp_path):
    request_id = ask(outputs, store, log)
    judge(request_id, "olu_checker", store, log)
    judge(request_id, "pat_checker", store, log, approve=False, reason="titles unclear")
    with pytest.raises(airlock.AirlockError, match="rejected by pat_checker"):
        judge(request_id, "rae_checker", store, log)
    with pytest.raises(airlock.AirlockError, match="rejected by pat_checker"):
        release(request_id, tmp_path, store, log)
    assert airlock.state_of(store.load(request_id)) == "rejected"
    assert not (tmp_path / "releases").exists()


def test_a_rejection_needs_a_reason(outputs, store, log):
    request_id = ask(outputs, store, log)
    with pytest.raises(airlock.AirlockError, match="a rejection needs a reason"):
        judge(request_id, "olu_checker", store, log, approve=False, reason=" ")


def test_a_file_changed_after_review_is_refused_at_release(outputs, store, log, tmp_path):
    request_id = ask(outputs, store, log)
    judge(request_id, "olu_checker", store, log)
    judge(request_id, "pat_checker", store, log)
    write_table(outputs / "tables" / "counties.csv", {"Adams": 40, "Brown": 55, "Cass": 20})
    with pytest.raises(
        airlock.AirlockError, match=r"tables/counties\.csv changed since the request"
    ):
        release(request_id, tmp_path, store, log)
    assert not (tmp_path / "releases" / request_id).exists()
    assert ledger.read(store.ledger) == []


def test_the_cli_runs_each_step_and_audits_it_once(tmp_path, monkeypatch, capsys):
    shutil.copytree(REPO / "governance", tmp_path / "governance")
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    study = tmp_path / "outputs" / "service_overlap"
    # the demo project holds IDOC's data: its base-5 rounding applies (the agreement)
    write_table(
        study / "tables" / "counties.csv",
        {"Adams": 40, "Brown": 55, "Cass": 30},
        min_cell=11,
        rounding="base5",
    )
    monkeypatch.setenv("ENCLAVE_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("ENCLAVE_MASTER_KEY", "ab" * 32)
    params = ["--params", str(tmp_path / "params.yaml")]

    def run(user: str, *argv: str) -> tuple[int, str]:
        monkeypatch.setenv("ENCLAVE_USER", user)
        code = cli.main(["export", *argv])
        return code, capsys.readouterr().out.strip()

    code, request_id = run("ana_researcher", "request", "service_overlap",
                           "--outputs", str(tmp_path / "outputs"), *params)  # fmt: skip
    assert (code, request_id) == (0, "service_overlap-0001")
    assert run("ana_researcher", "review", request_id, "--approve", *params)[0] == 2
    assert run("ben_analyst", "review", request_id, "--approve", *params)[0] == 2
    assert run("olu_checker", "review", request_id, "--approve", *params) == (
        0, f"{request_id}: approved by 1",
    )  # fmt: skip
    releases = ["--releases", str(tmp_path / "releases")]
    assert run("olu_checker", "release", request_id, *releases)[0] == 2
    assert run("rae_checker", "review", request_id, "--approve", *params)[0] == 0
    code, out = run("olu_checker", "release", request_id, *releases)
    assert code == 0 and out.endswith(str(tmp_path / "releases" / request_id))
    assert run("olu_checker", "release", request_id, *releases)[0] == 2
    status = run("x", "status")[1]
    assert status.startswith(f"{request_id}: service_overlap by ana_researcher at ")
    assert status.endswith(": released")
    log = audit.Log.default()
    steps = [(e["action"], e["what"]["step"], e["user"]) for e in log.entries()]
    assert steps == [
        ("export", "request", "ana_researcher"),
        ("export", "review", "olu_checker"),
        ("export", "review", "rae_checker"),
        ("export", "release", "olu_checker"),
    ]
    assert all(e["project"] == "demo" and e["what"]["id"] == request_id for e in log.entries())
    assert log.verify().ok


def test_only_a_member_of_the_project_may_ask(outputs, store, log):
    with pytest.raises(
        airlock.AirlockError, match="cara_researcher is not a member of project demo"
    ):
        ask(outputs, store, log, user="cara_researcher")
