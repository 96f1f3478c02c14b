"""The enterprise agreement and project approvals as data: strict reading, errors that
name the file and field, approvals that decide provisioning, the steward commands."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest
import yaml

from enclave import cli
from enclave.config import ConfigError
from enclave.governance import agreement, audit, commands, projects

REPO = Path(__file__).resolve().parents[2]
PARTIES = {
    "aging", "dcfs", "dceo", "idoc", "ides", "hfs", "idhs", "doit", "djj", "idph", "idva",
    "cms", "isbe",
}  # fmt: skip
PURPOSES = (
    "customer-centred service delivery",
    "strategic policymaking",
    "efficient program management",
)


@pytest.fixture
def root(tmp_path):
    """A project root holding a copy of the repository's governance files."""
    shutil.copytree(REPO / "governance", tmp_path / "governance")
    return tmp_path


@pytest.fixture
def log(tmp_path):
    return audit.Log(tmp_path / "state", b"k" * 32)


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_the_agreement_has_the_thirteen_parties_and_three_purposes():
    terms = agreement.load(root=REPO)
    assert set(terms.parties) == PARTIES and terms.purposes == PURPOSES
    assert terms.operator == "doit"
    assert terms.datasets == {a: a for a in ("hfs", "idhs", "aging", "dcfs", "isbe", "ides",
                                             "idoc", "idph", "djj", "idva", "dceo")} | {
        "ides_ui": "ides"  # a party's second dataset: UI claims beside the wage records
    }  # fmt: skip
    for code in ("cms", "doit"):
        assert terms.parties[code].datasets == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["parties"]["hfs"].update(steward="x"), "unknown key 'parties.hfs.steward'"),
        (lambda d: d["parties"]["hfs"]["disclosure"].update(min_cell=0),
         "'parties.hfs.disclosure.min_cell' must be at least 1"),
        (lambda d: d["parties"]["hfs"]["disclosure"].update(rounding="base7"),
         "'parties.hfs.disclosure.rounding' must be one of"),
        (lambda d: d["parties"]["hfs"].update(datasets=["hfs", "medicare"]),
         "'parties.hfs.datasets': unknown dataset 'medicare'"),
        (lambda d: d["parties"]["idhs"].update(datasets=["idhs", "hfs"]),
         "'parties.idhs.datasets': 'hfs' is already contributed by hfs"),
        (lambda d: d["parties"]["isbe"].update(datasets=[]), "no party contributes \\['isbe'\\]"),
        (lambda d: d["parties"]["cms"].update(operator=True), "exactly one operator"),
        (lambda d: d.pop("purposes"), "missing key 'purposes'"),
        (lambda d: d["parties"]["ides"].update(retention_years="five"),
         "'parties.ides.retention_years': expected int, got str"),
    ],
)  # fmt: skip
def test_a_bad_agreement_names_the_file_and_field(root, change, message):
    path = root / "governance" / "agreement.yaml"
    _edit(path, change)
    with pytest.raises(ConfigError, match=message) as exc:
        agreement.load(root=root)
    assert str(path) in str(exc.value)


def test_the_strictest_rule_of_each_kind_applies():
    terms = agreement.load(root=REPO)
    rules = terms.strictest(["hfs", "ides", "dcfs"])
    assert (rules.min_cell, rules.min_group, rules.dominance_k, rules.p_percent) == (
        11, 20, 0.85, 0.15
    )  # fmt: skip
    assert terms.strictest(["idhs"]).min_cell == 10


def test_min_cell_below_the_agreement_is_a_config_error():
    terms = agreement.load(root=REPO)
    with pytest.raises(ConfigError, match=r"'disclosure.min_cell' is 10, below .* 11 .* hfs"):
        agreement.check_min_cell(10, terms, ["hfs", "idhs"])
    agreement.check_min_cell(10, terms, ["idhs"])  # idhs alone allows 10
    agreement.check_min_cell(11, terms, ["hfs", "idhs"])


def test_the_repository_projects_are_valid_and_provisioned():
    terms = agreement.load(root=REPO)
    found = projects.load_all(terms, REPO)
    assert set(found) >= {"demo", "reentry"}
    today = datetime.date(2027, 1, 1)
    for project_id, project in found.items():
        assert projects.status(project_id, project, terms, today).provisioned, project_id
    assert projects.parties_of(found["reentry"], terms) == ("ides", "idoc")


def test_the_pipeline_builds_exactly_the_provisioned_projects():
    """dvc.yaml's deidentify@ and build@ run over deid.projects: it must name every
    provisioned project under governance/projects/ and nothing else."""
    from enclave import config

    terms = agreement.load(root=REPO)
    today = datetime.date.today()
    provisioned = {
        pid
        for pid, p in projects.load_all(terms, REPO).items()
        if projects.status(pid, p, terms, today).provisioned
    }
    assert set(config.load(REPO / "params.yaml").deid.projects) == provisioned


def test_a_project_missing_one_approval_is_not_provisioned(root):
    terms = agreement.load(root=root)
    _edit(root / "governance/projects/reentry.yaml", lambda d: d["approvals"].pop("ides"))
    project = projects.load("reentry", terms, root)
    state = projects.status("reentry", project, terms, datetime.date(2027, 1, 1))
    assert not state.provisioned and state.missing_approvals == ("ides",)
    assert state.reason == "project reentry: no approval yet from ides"


def test_an_expired_or_future_project_is_not_provisioned():
    terms = agreement.load(root=REPO)
    project = projects.load("reentry", terms, REPO)
    late = projects.status("reentry", project, terms, datetime.date(2029, 7, 1))
    early = projects.status("reentry", project, terms, datetime.date(2026, 2, 1))
    assert late.reason == "project reentry: approval expired"
    assert early.reason == "project reentry: approval not started yet"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(purpose="marketing"), "'purpose' must be one of the agreement's"),
        (lambda d: d.update(datasets=["idoc", "irs"]), "'datasets': 'irs' is in no party"),
        (lambda d: d.update(tables=["persons", "identifiers"]), "unknown analytic table"),
        (lambda d: d.update(expiry="2026-13-01"), "'expiry': not an ISO date"),
        (lambda d: d.update(expiry="2025-01-01"), "'expiry' is before 'start'"),
        (lambda d: d["approvals"]["ides"].update(by="ana_researcher"),
         "'approvals.ides.by': 'ana_researcher' is not a steward of ides"),
        (lambda d: d["approvals"].update(hfs={"by": "hfs_steward", "date": "2026-03-01"}),
         "'approvals.hfs': the project uses no data of hfs"),
        (lambda d: d.update(sponsor="x"), "unknown key 'sponsor'"),
    ],
)  # fmt: skip
def test_a_bad_project_names_the_file_and_field(root, change, message):
    path = root / "governance/projects/reentry.yaml"
    _edit(path, change)
    with pytest.raises(ConfigError, match=message) as exc:
        projects.load("reentry", agreement.load(root=root), root)
    assert str(path) in str(exc.value)


def test_request_then_approvals_provision_a_project(root, log):
    lines = commands.request(
        root, "kin_care", title="Children placed with kin",
        purpose="customer-centred service delivery", lead="dana", members=["eli"],
        datasets=["dcfs", "isbe"], period=("2010-01-01", "2020-12-31"), expiry="2030-01-01",
        start="2026-01-01", tables=["persons", "life_events"], log=log,
    )  # fmt: skip
    assert "kin_care: NOT provisioned (project kin_care: no approval yet from dcfs, isbe)" in lines
    commands.approve(root, "kin_care", "dcfs", "dcfs_steward", "2026-01-02", log)
    (root / "params.yaml").write_text("deid:\n  projects: [demo]\n")
    lines = commands.approve(root, "kin_care", "isbe", "isbe_steward", "2026-01-03", log)
    assert (
        "kin_care: provisioned; its zone is not built yet: add kin_care to deid.projects in "
        "params.yaml, then dvc repro" in lines
    )
    project = projects.load("kin_care", agreement.load(root=root), root)
    assert project.tables == ("persons", "life_events") and project.users == ("dana", "eli")
    assert [e["action"] for e in log.entries()] == ["request", "approval", "approval"]
    assert log.entries()[2]["what"] == {"party": "isbe", "signed_by": "isbe_steward"}
    assert log.verify().ok


@pytest.mark.parametrize(
    ("party", "by", "message"),
    [
        ("hfs", "hfs_steward", "the project uses no data of hfs"),
        ("ides", "idoc_steward", "'idoc_steward' is not a steward of ides"),
        ("nasa", "x", "unknown party 'nasa'"),
    ],
)
def test_approve_refuses_the_wrong_party_or_steward(root, log, party, by, message):
    with pytest.raises(ConfigError, match=message):
        commands.approve(root, "reentry", party, by, None, log)
    assert log.entries() == []


def test_steward_view_lists_projects_using_the_agency(root):
    lines = commands.agency(root, "idoc")
    assert lines[0] == "idoc: Department of Corrections"
    assert any(line.startswith("  reentry: efficient program management; expires 2029-06-30")
               for line in lines)  # fmt: skip
    assert any(line.startswith("  demo: strategic policymaking") for line in lines)


def test_governance_cli_status_and_request_check(root, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("ENCLAVE_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("ENCLAVE_MASTER_KEY", "ab" * 32)
    assert cli.main(["governance", "--root", str(root), "status"]) == 0
    out = capsys.readouterr().out
    assert "demo: provisioned" in out and "reentry: provisioned" in out
    assert cli.main(["governance", "--root", str(root), "request", "reentry"]) == 0
    assert "valid request" in capsys.readouterr().out
    assert cli.main(["governance", "--root", str(root), "request", "nope"]) == 2
