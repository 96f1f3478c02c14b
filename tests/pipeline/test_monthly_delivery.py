"""Monthly deliveries (issue #19): the world's last month of one agency as its own
delivery, validated on its own and staged beside the first extract, without reading
the extract again, and read back in order by linkage and de-identification."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import polars as pl
import pytest

from enclave import ingest, io, paths
from enclave import partfiles as linkage_zone
from enclave.config import DeidParams, IngestParams, LinkageParams, SynthParams
from enclave.deid import stream as deid_stream
from enclave.deid.deidentify import run as run_deid
from enclave.errors import InputError
from enclave.linkage import evaluate, inputs
from enclave.linkage import run as link
from enclave.synth import run as synthesize

pytestmark = pytest.mark.slow

PARAMS = SynthParams(persons=1200, seed=3)
AGENCY, MONTH = "idhs", "2024-12"  # IDHS reports benefit months: a month is never empty
FILE = "idhs_case_members.txt"
DEID = DeidParams(k_min=3)


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> dict[str, Path]:
    """The same world three ways: the month in the extract, on its own, held back."""
    roots = {}
    for how in ("whole", "separate", "held"):
        root = roots[how] = tmp_path_factory.mktemp(how)
        last = {} if how == "whole" else {AGENCY: how}
        params = dataclasses.replace(PARAMS, last_month=last)
        synthesize(params, landing=root / "landing", truth=root / "truth")
    return roots


def _validate(landing: Path, out: Path) -> ingest.IngestResult:
    return ingest.run(
        AGENCY, IngestParams(), landing, out / "staged", out / "quarantine", out / "report.json"
    )


def _body(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)[1:]  # without the header


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.parquet"))}


def test_the_last_month_is_written_as_its_own_delivery(worlds):
    whole, separate, held = (worlds[k] / "landing" / AGENCY for k in ("whole", "separate", "held"))
    assert paths.months(separate) == [MONTH] and paths.months(held) == []
    month = _body(separate / MONTH / FILE)
    rows = pl.read_csv(separate / MONTH / FILE, separator="|", infer_schema=False)
    in_month = rows["benefit_month"].str.contains(r"^12/\d\d/2024$").mean()
    assert month and in_month > 0.95  # all but the rows broken on purpose
    # the extract and its month, one after the other, are the extract with the month in
    assert _body(separate / FILE) + month == _body(whole / FILE)
    assert (held / FILE).read_bytes() == (separate / FILE).read_bytes()
    for other in ("hfs", "ides", "idph"):  # other agencies' extracts do not change
        name = next((worlds["whole"] / "landing" / other).iterdir()).name
        same = (worlds[k] / "landing" / other / name for k in ("whole", "separate", "held"))
        assert len({p.read_bytes() for p in same}) == 1


def test_the_records_truth_keys_a_month_as_validation_does(worlds):
    truth = {k: pl.read_parquet(worlds[k] / "truth" / "records.parquet") for k in worlds}
    months = truth["separate"].filter(pl.col("record_key").str.starts_with("idhs-202412-"))
    assert months.height == len(_body(worlds["separate"] / "landing" / AGENCY / MONTH / FILE))
    assert truth["separate"].height == truth["whole"].height
    assert truth["held"].height == truth["whole"].height - months.height
    # the same persons, in the same order, whatever the rows' keys
    cols = ["agency", "person_id", "mother_id", "father_id"]
    assert truth["separate"].select(cols).equals(truth["whole"].select(cols))


def test_a_month_is_validated_on_its_own_and_staged_beside_the_extract(worlds, tmp_path):
    separate = _validate(worlds["separate"] / "landing" / AGENCY, tmp_path / "s")
    whole = _validate(worlds["whole"] / "landing" / AGENCY, tmp_path / "w")
    staged = tmp_path / "s" / "staged"
    assert paths.months(staged) == [MONTH] == paths.months(tmp_path / "s" / "quarantine")
    month = pl.read_parquet(staged / MONTH / "identifiers.parquet")
    assert month.height and month["record_key"].str.starts_with("idhs-202412-").all()
    # every row staged or quarantined as in the single extract: the same rows, other keys
    for name in ("identifiers", "content"):
        got = getattr(separate, name).collect().drop("record_key")
        assert got.equals(getattr(whole, name).collect().drop("record_key"))
    report = separate.report
    assert set(report["deliveries"]) == {ingest.FIRST, MONTH}
    for count in ("rows_read", "rows_staged", "rows_quarantined"):
        assert report[count] == whole.report[count]
        assert report[count] == sum(r[count] for r in report["deliveries"].values())
    assert report["reconciled"]


def test_a_new_month_costs_its_own_rows_only(worlds, tmp_path, monkeypatch):
    """The extract staged before is kept (hard links), not read again; the result is the
    file-for-file result of validating both deliveries from nothing."""
    landing = tmp_path / "landing"
    shutil.copytree(worlds["held"] / "landing" / AGENCY, landing)
    _validate(landing, tmp_path / "run")
    staged = tmp_path / "run" / "staged"
    before = os.stat(staged / "identifiers.parquet").st_ino
    shutil.copytree(worlds["separate"] / "landing" / AGENCY / MONTH, landing / MONTH)
    read = []
    real = ingest.prepare
    monkeypatch.setattr(
        ingest, "prepare", lambda *a, **k: read.append(str(k["source"])) or real(*a, **k)
    )
    _validate(landing, tmp_path / "run")
    assert read == [str(landing / MONTH / FILE)]
    assert os.stat(staged / "identifiers.parquet").st_ino == before
    monkeypatch.setattr(ingest, "prepare", real)
    fresh = tmp_path / "fresh"
    _validate(landing, fresh)
    for zone in ("staged", "quarantine"):
        assert _files(tmp_path / "run" / zone) == _files(fresh / zone)
    assert (tmp_path / "run" / "report.json").read_bytes() == (fresh / "report.json").read_bytes()


def test_a_changed_extract_or_code_is_read_again(worlds, tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    shutil.copytree(worlds["separate"] / "landing" / AGENCY, landing)
    _validate(landing, tmp_path / "run")
    read = []
    real = ingest.prepare
    monkeypatch.setattr(
        ingest,
        "prepare",
        lambda *a, **k: read.append(Path(k["source"]).parent.name) or real(*a, **k),
    )
    shutil.copy(worlds["whole"] / "landing" / AGENCY / FILE, landing / FILE)  # new bytes
    _validate(landing, tmp_path / "run")
    assert read == ["landing"]  # the extract, not the unchanged month
    monkeypatch.setattr(ingest, "fingerprint", lambda *a: "other code")
    read.clear()
    _validate(landing, tmp_path / "run")
    assert read == ["landing", MONTH]


@pytest.mark.parametrize(
    ("entry", "named"),
    [("2024-13", "2024-13"), ("december", "december"), (f"{MONTH}/notes.txt", "notes.txt")],
)
def test_anything_but_deliveries_in_the_landing_folder_is_refused(worlds, tmp_path, entry, named):
    landing = tmp_path / "landing"
    shutil.copytree(worlds["separate"] / "landing" / AGENCY, landing)
    target = landing / entry
    if "/" in entry:
        target.write_text("x")
    else:
        target.mkdir()
    with pytest.raises(InputError) as caught:
        _validate(landing, tmp_path / "out")
    assert caught.value.fault == "landing:unexpected_file" and named in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_linkage_reads_every_delivery_of_a_staged_agency(worlds, tmp_path):
    _validate(worlds["separate"] / "landing" / AGENCY, tmp_path)
    files = inputs.read_inputs([tmp_path / "staged"])
    assert [f.path for f in files] == paths.delivered(tmp_path / "staged", "identifiers.parquet")
    staged = pl.scan_parquet(paths.delivered(tmp_path / "staged", "identifiers.parquet"))
    assert sum(f.records for f in files) == staged.select(pl.len()).collect().item()


# ------------------------------------------------------------------- linkage

AGENCIES = ("hfs", "idhs", "aging", "dcfs", "isbe", "ides", "idoc", "idph", "djj")


def _stage(world: Path, staged: Path, landing: Path | None = None) -> list[Path]:
    """Validate every agency of ``world`` (IDHS from ``landing`` if given) into ``staged``."""
    for agency in AGENCIES:
        source = landing if agency == AGENCY and landing else world / "landing" / agency
        out = staged.parent
        ingest.run(
            agency, IngestParams(), source, staged / agency, out / "q" / agency,
            out / "r" / f"{agency}.json",
        )  # fmt: skip
    return [staged / a for a in AGENCIES]


@pytest.fixture(scope="module")
def linked(worlds, tmp_path_factory) -> dict[str, Path]:
    """The month linked three ways: against the zone of the extracts (``monthly``), from
    nothing (``rebuilt``), and from nothing with the monthly run's model (``same_model``).

    A project's research zone (``zones``) before the month (``before``), and after it two
    ways on the same staged and linked data: the month folded into the records kept by
    the run before it (``monthly``), and de-identified from nothing (``rebuilt``)."""
    root = tmp_path_factory.mktemp("linked")
    landing, zones = root / "landing", root / "zones"
    staged, linkage = root / "monthly" / "staged", root / "monthly" / "linkage"
    shutil.copytree(worlds["held"] / "landing" / AGENCY, landing)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENCLAVE_MASTER_KEY", "5a" * 32)

        def deidentify(name: str, state: Path | None = zones / "state") -> None:
            out = zones / name
            report = out / "risk.json"
            run_deid("p", DEID, staged, linkage, landing, out / "base", report, None, state)

        link(LinkageParams(), _stage(worlds["held"], staged, landing), linkage, None)
        deidentify("before")
        shutil.copy(linkage / "crosswalk.parquet", root / "before.parquet")
        # the state before the month, copied and as hard links to its own files
        shutil.copytree(zones / "state", root / "state_copied")
        shutil.copytree(zones / "state", root / "state_linked", copy_function=os.link)
        shutil.copytree(worlds["separate"] / "landing" / AGENCY / MONTH, landing / MONTH)
        link(LinkageParams(), _stage(worlds["held"], staged, landing), linkage, None)
        deidentify("monthly")
        # from nothing, in slices of the crosswalk: a slice holding both the extract's
        # and the month's keys numbers no record, the others do, as the kept records
        patch.setattr(deid_stream, "SLICE_ROWS", 20_000)
        deidentify("rebuilt", state=None)
    inputs = _stage(worlds["separate"], root / "rebuilt" / "staged")
    link(LinkageParams(), inputs, root / "rebuilt" / "linkage", None)
    model = root / "monthly" / "linkage" / "model.json"
    link(LinkageParams(), inputs, root / "same_model" / "linkage", None, model_file=model)
    return {"root": root, "zones": zones} | {
        k: root / k / "linkage" for k in ("monthly", "rebuilt", "same_model")
    }


def _crosswalk(zone: Path) -> pl.DataFrame:
    return linkage_zone.rows(zone, "crosswalk").scan().collect()


def test_a_month_is_linked_against_the_zone_not_from_nothing(linked):
    report = io.read_json(linked["monthly"] / "report.json")
    (month,) = report["monthly"]
    assert month["deliveries"] == [
        str(linked["root"] / "monthly/staged/idhs/2024-12/identifiers.parquet")
    ]
    assert 0 < month["new_identity_records"] < month["identity_records"] <= month["records"]
    crosswalk = _crosswalk(linked["monthly"])
    assert (
        crosswalk.height
        == report["records"]
        == month["records"] + pl.read_parquet(linked["root"] / "before.parquet").height
    )
    assert crosswalk["record_key"].is_sorted() and crosswalk["record_key"].is_unique().all()
    assert crosswalk["person_key"].null_count() == 0


def test_a_month_adds_parts_and_leaves_the_whole_files_as_they_were(linked):
    """The month's rows are files of their own: the crosswalk a full run wrote is the
    same bytes, and the parts hold the month's records alone."""
    zone = linked["monthly"]
    before = (linked["root"] / "before.parquet").read_bytes()
    assert (zone / "crosswalk.parquet").read_bytes() == before
    (month,) = io.read_json(zone / "report.json")["monthly"]
    expected = {
        "crosswalk": month["records"],
        "identity_map": month["records"],  # a month naming parents is linked in full
        "identities": month["new_identity_records"],
    }
    for name in (*expected, "pairs"):
        rows = linkage_zone.rows(zone, name)
        whole, part = rows.files()
        assert whole == zone / f"{name}.parquet" and part.parent.name == "parts"
        assert (
            pl.read_parquet(part).height
            == expected.get(name, len(rows) - pl.read_parquet(whole).height)
            > 0
        )
        assert len(rows) == pl.read_parquet(whole).height + pl.read_parquet(part).height


def test_folding_a_month_in_never_writes_through_the_earlier_states_files(linked):
    """The new state starts as hard links to the earlier one's files; the files it
    writes again (leak reference, persons, generalisation) are new files, so the earlier
    state is as it was until the new one replaces it (a kill in between leaves it whole)."""
    root = linked["root"]
    copied = {
        p.relative_to(root / "state_copied"): p.read_bytes()
        for p in (root / "state_copied").rglob("*")
        if p.is_file()
    }
    linked_now = {
        p.relative_to(root / "state_linked"): p.read_bytes()
        for p in (root / "state_linked").rglob("*")
        if p.is_file()
    }
    assert linked_now == copied and len(copied) > 10


def test_the_zone_in_parts_is_evaluated_as_the_same_zone_written_whole(linked, worlds, tmp_path):
    """The evaluation reads a zone with months as parts as it reads the same rows
    written whole (every file in key order, no ``parts.json``)."""
    whole = tmp_path / "whole"
    shutil.copytree(linked["monthly"], whole)
    shutil.rmtree(whole / linkage_zone.PARTS_FOLDER)
    (whole / linkage_zone.PARTS).unlink()
    for name in (*linkage_zone.ROW_LEVEL, *linkage_zone.APPENDED):
        rows = linkage_zone.rows(linked["monthly"], name).scan().collect()
        (whole / f"{name}.parquet").unlink()  # a hard link to the zone's own file
        io.write_parquet(rows, whole / f"{name}.parquet")
    staged, truth = linked["root"] / "monthly" / "staged", worlds["separate"] / "truth"
    reports = {}
    for how, zone in (("parts", linked["monthly"]), ("whole", whole)):
        out = tmp_path / how
        evaluate.run(zone, staged, truth, out / "linkage.json", out / "pr.csv")
        reports[how] = ((out / "linkage.json").read_bytes(), (out / "pr.csv").read_bytes())
    assert reports["parts"] == reports["whole"]
    assert json.loads(reports["parts"][0])  # metrics, not an empty report


def _with_january(linked, tmp_path: Path) -> tuple[Path, Path, pl.DataFrame]:
    """A copy of the monthly run's staged files and linkage zone, with December staged
    again as January (the same identifiers, new keys): (staged, zone, January's rows)."""
    staged, zone = tmp_path / "staged", tmp_path / "linkage"
    shutil.copytree(linked["root"] / "monthly" / "staged", staged)
    shutil.copytree(linked["monthly"], zone)
    # the fixture linked its files by absolute path: the copy's state names the copies
    state = zone / "state.json"
    earlier = str(linked["root"] / "monthly" / "staged")
    state.write_text(state.read_text().replace(earlier, str(staged)))
    december = pl.read_parquet(staged / AGENCY / MONTH / "identifiers.parquet")
    january = december.with_columns(
        pl.col("record_key").str.replace("-202412-", "-202501-", literal=True)
    )
    io.write_parquet(january, staged / AGENCY / "2025-01" / "identifiers.parquet")
    return staged, zone, january


def test_a_second_month_links_against_the_zone_with_its_first_as_parts(linked, tmp_path):
    """December delivered again as January (the same identifiers, new keys): linked
    against the zone holding December as parts, every record takes the person its
    December twin has, and the zone reads in key order with both months."""
    staged, zone, january = _with_january(linked, tmp_path)
    key = pl.col("record_key")
    before = _crosswalk(zone)
    link(LinkageParams(), [staged / a for a in AGENCIES], zone, None)
    second = io.read_json(zone / "report.json")["monthly"][-1]
    assert second["new_identity_records"] == 0 and second["new_persons"] == 0
    crosswalk = _crosswalk(zone)
    assert crosswalk["record_key"].is_sorted() and crosswalk["record_key"].is_unique().all()
    assert crosswalk.height == before.height + january.height
    assert crosswalk.join(before, on="record_key").height == before.height
    twins = crosswalk.filter(key.str.contains("-202501-")).with_columns(
        key.str.replace("-202501-", "-202412-", literal=True)
    )
    paired = twins.join(before, on="record_key", suffix="_december")
    assert paired.height == january.height
    assert paired["person_key"].equals(paired["person_key_december"])
    # the whole files as a full run wrote them, each month a part after them
    files = linkage_zone.rows(zone, "crosswalk").files()
    assert [f.name for f in files] == [
        "crosswalk.parquet",
        "crosswalk.001.parquet",
        "crosswalk.002.parquet",
    ]


def test_a_damaged_layout_links_everything_again(linked, tmp_path):
    """``parts.json`` lost: the next month is not linked against a zone that would read
    without the first month's rows; everything is linked again, and the zone is whole."""
    staged, zone, january = _with_january(linked, tmp_path)
    (zone / linkage_zone.PARTS).unlink()
    with pytest.raises(InputError, match="missing beside parts/"):
        linkage_zone.rows(zone, "crosswalk")
    link(LinkageParams(), [staged / a for a in AGENCIES], zone, None)
    assert "monthly" not in io.read_json(zone / "report.json")  # linked in full
    assert not (zone / linkage_zone.PARTS_FOLDER).exists()
    assert _crosswalk(zone).height == _crosswalk(linked["monthly"]).height + january.height


def test_a_full_link_into_a_zone_in_parts_leaves_no_parts(linked, tmp_path):
    """A full run (here with the month's model) writes the zone anew: whole files."""
    zone = tmp_path / "linkage"
    shutil.copytree(linked["monthly"], zone)
    staged = linked["root"] / "monthly" / "staged"
    link(
        LinkageParams(), [staged / a for a in AGENCIES], zone, None, model_file=zone / "model.json"
    )
    assert not (zone / linkage_zone.PARTS).exists()
    assert not (zone / linkage_zone.PARTS_FOLDER).exists()
    # the same persons and evidence as the month linked alone (as a rebuild, below)
    columns = ["record_key", "person_key", "link_evidence"]
    assert _crosswalk(zone).select(columns).equals(_crosswalk(linked["monthly"]).select(columns))


def test_existing_person_keys_are_never_renumbered(linked):
    before = pl.read_parquet(linked["root"] / "before.parquet")
    after = _crosswalk(linked["monthly"]).join(before, on="record_key", suffix="_before")
    assert after.height == before.height
    assert after.select(pl.col("person_key") == pl.col("person_key_before")).to_series().all()
    # and every row of the zone's other outputs grew by the month only
    identity_map = linkage_zone.rows(linked["monthly"], "identity_map").scan().collect()
    persons = identity_map.filter(pl.col("role").is_null())  # not a birth's parents
    assert identity_map["record_key"].is_sorted()
    assert persons["record_key"].equals(_crosswalk(linked["monthly"])["record_key"])


def test_the_month_linked_alone_equals_a_rebuild_with_the_same_model(linked):
    """Same persons, same keys, same evidence for every record; the match probabilities
    move only by the names' term frequencies, which a rebuild counts over the month too."""
    monthly, rebuilt = _crosswalk(linked["monthly"]), _crosswalk(linked["same_model"])
    assert monthly["record_key"].equals(rebuilt["record_key"])
    assert monthly["person_key"].equals(rebuilt["person_key"])
    assert monthly["link_evidence"].equals(rebuilt["link_evidence"])
    moved = (monthly["match_probability"] - rebuilt["match_probability"]).abs()
    assert moved.max() < 0.01


def test_a_rebuild_that_retrains_differs_only_at_the_margin(linked):
    """Retrained on the month too, the model moves a link near the threshold: 4 of
    86,557 records on this world. The monthly run keeps the model it was trained with."""
    monthly, rebuilt = _crosswalk(linked["monthly"]), _crosswalk(linked["rebuilt"])
    same = (monthly["person_key"] == rebuilt["person_key"]).mean()
    assert same >= 0.9999
    persons = {z: _crosswalk(linked[z])["person_key"].n_unique() for z in ("monthly", "rebuilt")}
    assert abs(persons["monthly"] - persons["rebuilt"]) <= 0.001 * persons["rebuilt"]


def test_anything_but_new_months_links_everything_again(linked, tmp_path):
    """Other parameters, a changed input, or no new delivery: no earlier zone applies."""
    from enclave.linkage import incremental
    from enclave.linkage.inputs import read_inputs

    zone = tmp_path / "zone"
    shutil.copytree(linked["monthly"], zone)
    inputs = [linked["root"] / "monthly" / "staged" / a for a in AGENCIES]
    files = read_inputs(inputs)
    assert incremental.previous(zone, LinkageParams(), files) is None  # nothing new
    state = io.read_json(zone / incremental.STATE)
    state["inputs"] = [e for e in state["inputs"] if MONTH not in e["file"]]  # month: new
    io.write_json(state, zone / incremental.STATE)
    assert incremental.previous(zone, LinkageParams(), files) is not None
    other = dataclasses.replace(LinkageParams(), threshold=0.5)
    assert incremental.previous(zone, other, files) is None
    (zone / incremental.MODEL).write_text("{")  # a model that cannot be read
    assert incremental.previous(zone, LinkageParams(), files) is None
    shutil.copy(linked["monthly"] / incremental.MODEL, zone / incremental.MODEL)
    state["inputs"][0]["sha256"] = "0" * 64  # an extract that changed since
    io.write_json(state, zone / incremental.STATE)
    assert incremental.previous(zone, LinkageParams(), files) is None


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        (None, "file not found"),
        ("{", "not readable as JSON"),
        ('{"comparisons": []}', "not a linkage model"),
        ('{"comparisons": {"x": []}, "probability_two_random_records_match": 0.1}',
         "a model of other comparisons"),
    ],
)  # fmt: skip
def test_a_saved_model_that_cannot_be_used_is_refused_first(linked, tmp_path, caplog, text, fault):
    """``enclave link --model``: one line naming the file, exit 2, no zone written."""
    from enclave import cli

    model = tmp_path / "model.json"
    if text is not None:
        model.write_text(text)
    inputs = [str(linked["root"] / "rebuilt" / "staged" / a) for a in AGENCIES]
    out = tmp_path / "linkage"
    assert cli.main(["link", *inputs, "--out", str(out), "--model", str(model)]) == 2
    assert not out.exists()
    (line,) = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert str(model) in line and fault in line and "Traceback" not in caplog.text


# ------------------------------------------------------------------- research zone


def test_a_month_is_pseudonymised_alone_and_added_to_the_kept_records(linked):
    state = linked["zones"] / "state"
    assert io.read_json(state / "state.json")["runs"] == 1
    assert os.stat(state).st_mode & 0o777 == 0o700  # exact dates of birth: trusted only
    spilled = [p.relative_to(state) for p in state.rglob("*.parquet")]
    month = {p.parts[0] for p in spilled if p.name.startswith("0001-")}
    assert month == {AGENCY, "_dob", "_sex"}  # no other agency's records read again
    assert any(p.parts[0] == "hfs" for p in spilled)  # the first run's records kept


def test_the_zone_with_the_month_folded_in_equals_a_rebuild(linked):
    zones = linked["zones"]
    monthly, rebuilt = _files(zones / "monthly" / "base"), _files(zones / "rebuilt" / "base")
    assert monthly.keys() == rebuilt.keys() and monthly == rebuilt  # byte for byte
    assert _files(zones / "before" / "base") != monthly
    risk = io.read_json(zones / "monthly" / "risk.json")
    assert risk == io.read_json(zones / "rebuilt" / "risk.json")
    assert risk["records"][AGENCY] > io.read_json(zones / "before" / "risk.json")["records"][AGENCY]


def test_dvc_reruns_only_the_delivering_agency(tmp_path):
    """Under ``dvc repro``: the month arrives (the synthetic agencies write it, so the
    world stage runs again, byte for byte the same elsewhere); of the validate stages
    only the delivering agency's runs, and it reads only the new month; the link stage
    links the month against the zone it wrote before, and a project's de-identification
    folds the month into the records it kept."""
    import subprocess
    import sys

    import yaml

    from enclave.paths import ROOT_ENV

    repo = Path(__file__).resolve().parents[2]
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(repo / "dvc.yaml", project / "dvc.yaml")
    shutil.copytree(repo / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(repo / "governance", project / "governance")
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["synth"] |= {"persons": PARAMS.persons, "seed": PARAMS.seed}
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    env = {**os.environ, ROOT_ENV: str(project), "PATH": path, "ENCLAVE_MASTER_KEY": "5b" * 32}

    def repro(last_month: dict) -> str:
        params["synth"]["last_month"] = last_month
        (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        done = subprocess.run(
            ["dvc", "repro", "deidentify@demo"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    for argv in (["git", "init", "-q"], ["dvc", "init", "-q"]):
        subprocess.run(argv, cwd=project, env=env, check=True)
    repro({AGENCY: "held"})
    staged = project / "data" / "staged"
    before = {a.name: os.stat(a / "identifiers.parquet").st_ino for a in staged.glob("*/")}
    said = repro({AGENCY: "separate"})
    ran = {line.split("'")[1] for line in said.splitlines() if line.startswith("Running stage")}
    assert ran == {"synthesize", f"validate@{AGENCY}", "link", "deidentify@demo"}
    assert paths.months(staged / AGENCY) == [MONTH]
    after = {a.name: os.stat(a / "identifiers.parquet").st_ino for a in staged.glob("*/")}
    assert after == before  # every first extract's staged file is the one staged before
    (month,) = io.read_json(project / "data" / "linkage" / "report.json")["monthly"]
    assert month["deliveries"] == [f"data/staged/{AGENCY}/{MONTH}/identifiers.parquet"]
    assert io.read_json(project / "data" / "deid" / "demo" / "state.json")["runs"] == 1


def test_a_state_that_is_not_a_folder_is_refused_in_one_line(linked, tmp_path, caplog):
    from enclave import cli

    state, out = tmp_path / "state", tmp_path / "base"
    state.write_text("not a folder")
    staged, linkage = linked["root"] / "monthly" / "staged", linked["monthly"]
    argv = ["deidentify", "--project", "demo", "--staged", str(staged), "--linkage", str(linkage)]
    argv += ["--out", str(out), "--report", str(tmp_path / "r.json"), "--state", str(state)]
    assert cli.main(argv) == 2
    (line,) = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert str(state) in line and "not a folder" in line and "Traceback" not in caplog.text
    assert not out.exists() and state.read_text() == "not a folder"
