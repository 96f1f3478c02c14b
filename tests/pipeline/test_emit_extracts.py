"""Emitters on a small hand-made world: every extract parses per its layout with
exactly its contract's columns, matches the world's grain and counts, passes its
contract (except the rows broken on purpose), standardises to the staged schemas,
carries errors at the configured rates, and is byte-for-byte reproducible."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandera.polars as pa
import polars as pl
import pytest

from enclave import contracts
from enclave.config import AGENCIES, ErrorRates, SynthParams
from enclave.contracts.base import StagedIdentifiers
from enclave.synth import emit, noise
from enclave.synth.world import SCHEMAS, World

FIRST = ["William", "Maria", "Jose", "Elizabeth", "Robert", "Ann", "Michael", "Katherine"]
LAST = ["Smith", "Garcia", "Johnson", "Nguyen", "Brown", "O'Brien", "Lopez", "Kowalski"]
ZIPS = [("60601", "17031"), ("62701", "17167"), ("61820", "17019")]


def _frame(name: str, data: dict) -> pl.DataFrame:
    return pl.DataFrame(data, schema={k: v() for k, v in SCHEMAS[name].items()})


def tiny_world(n: int = 300, seed: int = 3) -> World:
    """A small world with the canonical schema: people in families, surname changes,
    moves, and a few contacts with every program."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1)
    adults = n // 3
    dob = [dt.date(1940, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 20000, adults)]
    dob += [
        dt.date(2000, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 7000, n - adults)
    ]
    sex = rng.choice(["F", "M"], n)
    mothers = [None] * adults + [
        int(m) for m in rng.choice(ids[:adults][sex[:adults] == "F"], n - adults)
    ]
    fathers = [None] * adults + [
        int(f) for f in rng.choice(ids[:adults][sex[:adults] == "M"], n - adults)
    ]
    persons = _frame(
        "persons",
        {
            "person_id": ids,
            "household_id": ids // 3,
            "first_name": rng.choice(FIRST, n),
            "middle_name": [None if x else "Lee" for x in rng.random(n) < 0.5],
            "last_name": rng.choice(LAST, n),
            "suffix": [None] * (n - 1) + ["JR"],
            "sex": sex,
            "dob": dob,
            "ssn": [f"{x:09d}" for x in 100_000_000 + (ids * 7_654_321 + seed) % 800_000_000],
            "mother_id": mothers,
            "father_id": fathers,
            "twin_id": [None] * n,
            "death_date": [None] * n,
        },
    )
    married = ids[: adults // 2]
    surnames = _frame(
        "surnames",
        {
            "person_id": married,
            "valid_from": [dt.date(2010, 6, 1)] * len(married),
            "last_name": rng.choice(LAST, len(married)),
        },
    )
    z = rng.integers(0, 3, n)
    residences = _frame(
        "residences",
        {
            "person_id": ids,
            "valid_from": [dt.date(1900, 1, 1)] * n,
            "valid_to": [None] * n,
            "street_address": [f"{i} MAIN ST" for i in ids],
            "city": ["SPRINGFIELD"] * n,
            "zip": [ZIPS[i][0] for i in z],
            "county_fips": [ZIPS[i][1] for i in z],
        },
    )
    kids = ids[adults:]
    admits = rng.integers(0, 300, 24)
    start = [dt.date(2005, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 5000, n)]
    tables = {
        "persons": persons,
        "surnames": surnames,
        "residences": residences,
        "relations": _frame("relations", {"child_id": [], "parent_id": [], "role": []}),
        "medicaid": _frame(
            "medicaid",
            {
                "person_id": ids,
                "start": start,
                "end": [None] * n,
                "category": rng.choice(["CHILD", "ADULT", "NEW"], n),
            },
        ),
        "snap_tanf": _frame(
            "snap_tanf",
            {
                "person_id": np.repeat(ids[:60], 3),
                "case_id": np.repeat([f"K{i // 3}" for i in range(60)], 3),
                "month": [dt.date(2015, m, 1) for m in (1, 2, 3)] * 60,
                "program": ["SNAP"] * 180,
                "relationship": ["HEAD"] * 180,
            },
        ),
        "ccp": _frame(
            "ccp",
            {
                "person_id": ids[:40],
                "start": start[:40],
                "end": start[:40],
                "service_type": ["IN_HOME_SERVICE"] * 40,
            },
        ),
        "dcfs": _frame(
            "dcfs",
            {
                "person_id": kids[:50],
                "event_type": ["INVESTIGATION"] * 50,
                "start": start[:50],
                "end": [None] * 50,
                "finding": ["INDICATED"] * 50,
                "placement_type": [None] * 50,
                "county_fips": ["17031"] * 50,
            },
        ),
        "school": _frame(
            "school",
            {
                "person_id": np.repeat(kids[:80], 2),
                "school_year": [2015, 2016] * 80,
                "grade": [3, 4] * 80,
                "exit_status": ["ENROLLED", "GRADUATED"] * 80,
                "county_fips": ["17031"] * 160,
            },
        ),
        "wages": _frame(
            "wages",
            {
                "person_id": np.repeat(ids[:100], 4),
                "year": [2018] * 400,
                "quarter": [1, 2, 3, 4] * 100,
                "employer_id": ["E1"] * 200 + ["E2"] * 200,
                "wages": rng.gamma(2, 4000, 400),
            },
        ),
        "prison": _frame(
            "prison",
            {
                "person_id": ids[:30],
                "admit_date": start[:30],
                "release_date": [None] * 30,
                "offense_class": ["X", "CLASS_1", "4"] * 10,
                "county_fips": ["17031"] * 30,
            },
        ),
        "djj": _frame(
            "djj",
            {
                "person_id": np.concatenate([kids[:24], kids[:6]]),
                "admit_date": [dt.date(2016, 3, 1) + dt.timedelta(days=int(d)) for d in admits]
                + [dt.date(2018, 5, 2)] * 6,
                "release_date": [dt.date(2017, 2, 1)] * 24 + [None] * 6,
                "admission_type": ["COMMITMENT", "COURT_EVALUATION", "COMMITMENT"] * 8
                + ["AFTERCARE_VIOLATION"] * 6,
                "facility": ["STC", "HAR", "WAR"] * 10,
                "release_reason": ["AFTERCARE", "EVALUATION_COMPLETE", "DISCHARGE"] * 8
                + [None] * 6,
                "county_fips": ["17031", "17167"] * 15,
            },
        ),
        # twenty veterans (a surname change in 2010 falls before or after discharge);
        # a claim each, four of them in a veterans' home
        "military": _frame(
            "military",
            {
                "person_id": ids[10:30],
                "branch": ["ARMY", "NAVY", "AIR_FORCE", "MARINE_CORPS", "COAST_GUARD"] * 4,
                "entry_date": [d + dt.timedelta(days=19 * 365) for d in dob[10:30]],
                "discharge_date": [d + dt.timedelta(days=22 * 365) for d in dob[10:30]],
                "character": ["HONORABLE"] * 16
                + ["GENERAL", "OTHER_THAN_HONORABLE", "BAD_CONDUCT", "UNCHARACTERIZED"],
            },
        ),
        "idva": _frame(
            "idva",
            {
                "person_id": np.concatenate([ids[10:30], ids[10:14]]),
                "program": ["CLAIM"] * 20 + ["HOME"] * 4,
                "claim_type": ["COMPENSATION", "PENSION", "HEALTH_CARE", "EDUCATION"] * 5
                + [None] * 4,
                "home": [None] * 20 + ["QCY", "MAN", "LAS", "ANN"],
                "start": [dt.date(2017, 1, 2) + dt.timedelta(days=int(d)) for d in admits[:20]]
                + [dt.date(2019, 6, 3)] * 4,
                "end": [dt.date(2018, 6, 29)] * 10
                + [None] * 10
                + [dt.date(2021, 1, 15), None, dt.date(2020, 3, 2), None],
                "outcome": ["GRANTED", "DENIED"] * 5
                + [None] * 10
                + ["DIED", None, "DISCHARGED", None],
            },
        ),
        # eighteen UI claims (one a veteran's UCX claim), benefit years beginning on Sundays
        "ui_claims": _frame(
            "ui_claims",
            {
                "person_id": ids[62:80],
                "benefit_year_begin": [
                    dt.date(2018, 1, 7) + dt.timedelta(weeks=5 * k) for k in range(18)
                ],
                "program": ["UI"] * 17 + ["UCX"],
                "separation_reason": ["LACK_OF_WORK", "VOLUNTARY_QUIT", "DISCHARGE"] * 5
                + ["LACK_OF_WORK", "LACK_OF_WORK", "MILITARY_SEPARATION"],
                "weekly_benefit": [51.0, 193.0, 461.0] * 6,
                "weeks_claimed": [26, 2, 7] * 6,
                "weeks_paid": [26, 0, 7] * 6,
            },
        ),
        # ten LIHEAP applications of program year 2024 (an adult, a child, a grandchild;
        # each member living at an address of their own, so the applicant's is visible)
        "liheap": _frame(
            "liheap",
            {
                "person_id": np.concatenate([ids[40:50], kids[100:110], kids[110:120]]),
                "application_id": [f"2024{k:06d}" for k in range(1, 11)] * 3,
                "program_year": [2024] * 30,
                "application_date": [
                    dt.date(2023, 10, 2) + dt.timedelta(days=9 * k) for k in range(10)
                ]
                * 3,
                "relationship": ["APPLICANT"] * 10 + ["CHILD"] * 10 + ["GRANDCHILD"] * 10,
                "household_size": [3] * 30,
                "benefit": [412.0, 655.0, 1090.0, 300.0, 528.0] * 6,
                "heating_source": ["NATURAL_GAS", "ELECTRICITY", "PROPANE"] * 10,
            },
        ),
        # twelve WIOA enrolments: exited with and without a credential, or still enrolled
        "wioa": _frame(
            "wioa",
            {
                "person_id": ids[50:62],
                "funding_stream": ["ADULT", "DISLOCATED_WORKER", "YOUTH"] * 4,
                "enrol_date": [
                    dt.date(2016, 2, 1) + dt.timedelta(days=int(d)) for d in admits[:12]
                ],
                "exit_date": [dt.date(2017, 3, 31)] * 9 + [None] * 3,
                "exit_reason": ["COMPLETED", "ENTERED_EMPLOYMENT", "LOST_CONTACT"] * 3 + [None] * 3,
                "credential": ["OCCUPATIONAL_CERTIFICATE", None, None] * 3 + [None] * 3,
            },
        ),
        "births": _frame(
            "births",
            {
                "child_id": kids,
                "mother_id": mothers[adults:],
                "father_id": fathers[adults:],
                "birth_date": dob[adults:],
                "county_fips": ["17031"] * len(kids),
                "plurality": [1] * len(kids),
                "father_named": rng.random(len(kids)) < 0.7,
            },
        ),
        "deaths": _frame(
            "deaths",
            {
                "person_id": ids[:10],
                "death_date": [dt.date(2020, 1, 1)] * 10,
                "county_fips": ["17031"] * 10,
            },
        ),
    }
    return World(tables=tables)


@pytest.fixture(scope="module")
def world() -> World:
    return tiny_world()


@pytest.fixture(scope="module")
def emitted(world, tmp_path_factory):
    landing = tmp_path_factory.mktemp("landing")
    truth = emit.emit_all(world, SynthParams(seed=11), landing)
    return landing, truth


WORLD_ROWS = {
    "hfs": lambda w: w["medicaid"].height,
    "idhs": lambda w: w["snap_tanf"].height,
    "aging": lambda w: w["ccp"].height,
    "dcfs": lambda w: w["dcfs"].height,
    "isbe": lambda w: w["school"].height,
    # covered wages only: workers without any SSN are not in UI wage records
    "ides": lambda w: (
        w["wages"]
        .filter(pl.col("person_id").is_in(w["persons"].drop_nulls("ssn")["person_id"].implode()))
        .height
    ),
    "idoc": lambda w: w["prison"].height,
    "idph": lambda w: w["births"].height + w["deaths"].height,
    "djj": lambda w: w["djj"].height,
    "dceo": lambda w: w["liheap"].height + w["wioa"].height,
    "idva": lambda w: w["idva"].height,
    "ides_ui": lambda w: w["ui_claims"].height,
}


def _parsed(landing, agency: str) -> pl.DataFrame:
    contract = contracts.get(agency)
    return contract.parse((landing / agency / contract.filename).read_bytes())


def _keyed(raw: pl.DataFrame, agency: str) -> pl.DataFrame:
    keys = pl.format(
        "{}-{}", pl.lit(agency), pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(9)
    )
    return raw.with_columns(record_key=keys)


@pytest.mark.parametrize("agency", AGENCIES)
def test_file_parses_with_exactly_the_contract_columns(emitted, agency):
    landing, _ = emitted
    contract = contracts.get(agency)
    assert [p.name for p in (landing / agency).iterdir()] == [contract.filename]
    raw = _parsed(landing, agency)
    assert raw.columns == contract.columns
    assert raw.height > 0


@pytest.mark.parametrize("agency", AGENCIES)
def test_rows_follow_the_world_grain_and_truth_covers_every_row(world, emitted, agency):
    landing, truth = emitted
    raw = _parsed(landing, agency)
    mine = truth.filter(pl.col("agency") == agency)
    assert mine.height == raw.height
    assert mine.height - mine["err_duplicate_row"].sum() == WORLD_ROWS[agency](world)
    assert mine["record_key"].to_list() == _keyed(raw, agency)["record_key"].to_list()
    assert mine["person_id"].null_count() == 0


def test_truth_has_the_interface_columns_and_unique_keys(emitted):
    _, truth = emitted
    assert truth.columns[:5] == list(emit.TRUTH_COLUMNS)
    assert set(truth.columns[5:]) == {f"err_{k}" for k in noise.KINDS}
    assert truth["record_key"].is_unique().all()
    assert truth.schema["person_id"] == pl.Int64


@pytest.mark.parametrize("agency", AGENCIES)
def test_only_rows_broken_on_purpose_fail_the_contract(emitted, agency):
    landing, truth = emitted
    contract = contracts.get(agency)
    raw = _parsed(landing, agency)
    broken = truth.filter(pl.col("agency") == agency)["err_invalid_row"]
    try:
        contract.raw.validate(raw, lazy=True)
        failing: set[int] = set()
    except pa.errors.SchemaErrors as exc:
        failing = set(contracts.base.failure_reasons(exc.failure_cases)["index"].to_list())
    assert failing == set(np.flatnonzero(broken.to_numpy()).tolist())


@pytest.mark.parametrize("agency", AGENCIES)
def test_valid_rows_standardise_to_the_staged_schemas(emitted, agency):
    landing, truth = emitted
    contract = contracts.get(agency)
    broken = truth.filter(pl.col("agency") == agency)["err_invalid_row"]
    good = _keyed(_parsed(landing, agency), agency).filter(~broken)
    ids, content = contract.standardise(good.lazy())
    ids, content = ids.collect(), content.collect()
    StagedIdentifiers.validate(ids)
    contract.content.validate(content)
    assert ids.height == content.height == good.height


def test_duplicates_repeat_the_previous_row_byte_for_byte(world, tmp_path):
    params = SynthParams(seed=4, errors=ErrorRates(duplicate_row=0.05))
    truth = emit.emit_all(world, params, tmp_path)
    for agency in AGENCIES:
        raw = _parsed(tmp_path, agency)
        copies = np.flatnonzero(
            truth.filter(pl.col("agency") == agency)["err_duplicate_row"].to_numpy()
        )
        for i in copies:
            assert raw.row(int(i)) == raw.row(int(i) - 1)
    assert truth["err_duplicate_row"].mean() == pytest.approx(0.05, abs=0.02)


def test_observed_error_rates_match_params(world):
    rates = ErrorRates(typo=0.2, ssn_typo=0.1, missing_dob=0.1, invalid_row=0.05)
    params = SynthParams(seed=8, errors=rates, agency_errors={})
    truth = pl.concat([emit.build_extract(world, params, a)[1] for a in AGENCIES])
    assert truth["err_typo"].mean() == pytest.approx(0.2, abs=0.05)
    assert truth["err_invalid_row"].mean() == pytest.approx(0.05, abs=0.02)
    no_dob = truth.filter(pl.col("agency") != "ides")
    assert no_dob["err_missing_dob"].mean() == pytest.approx(0.1, abs=0.04)
    with_ssn = truth.filter(~pl.col("agency").is_in(["isbe"]))
    assert with_ssn["err_ssn_typo"].mean() == pytest.approx(0.1, abs=0.04)


def test_agency_specific_identifier_quality(world, emitted):
    landing, truth = emitted
    ides = _parsed(landing, "ides")
    initials = ides["FIRST_NAME"].str.len_chars() == 1
    assert initials.mean() == pytest.approx(0.6, abs=0.15)
    assert "DOB" not in contracts.get("ides").columns
    idoc = truth.filter(pl.col("agency") == "idoc")
    assert idoc["err_alias"].sum() > 0
    assert (
        _parsed(landing, "idoc")["ALIAS_FIRST"].null_count()
        == idoc.height - idoc["err_alias"].sum()
    )
    assert truth.filter(pl.col("agency") == "isbe")["err_ssn_missing"].sum() == 0


def test_dcfs_is_cp1252_with_diacritics(world, tmp_path):
    params = SynthParams(seed=2, agency_errors={"dcfs": {"diacritics_case_spacing": 1.0}})
    emit.emit_all(world, params, tmp_path)
    data = (tmp_path / "dcfs" / contracts.get("dcfs").filename).read_bytes()
    text = data.decode("cp1252")
    assert any(ch in text for ch in "áéíóúñ")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    for agency in ("aging", "ides"):
        (tmp_path / agency / contracts.get(agency).filename).read_bytes().decode("ascii")


def test_birth_records_name_the_parents_of_the_truth(world, emitted):
    _, truth = emitted
    births = world["births"]
    idph = truth.filter((pl.col("agency") == "idph") & pl.col("mother_id").is_not_null())
    joined = idph.join(births, left_on="person_id", right_on="child_id", suffix="_w")
    assert joined.height == births.height
    assert (joined["mother_id"] == joined["mother_id_w"]).all()
    named = joined.filter(pl.col("father_named"))
    assert (named["father_id"] == named["father_id_w"]).all()
    assert (
        joined.filter(~pl.col("father_named"))["father_id"].null_count()
        == (~births["father_named"]).sum()
    )


def test_names_are_as_of_the_record_date(world, emitted):
    landing, truth = emitted
    hfs = _keyed(_parsed(landing, "hfs"), "hfs").join(truth, on="record_key")
    name_errors = pl.any_horizontal(
        pl.col(f"err_{k}") for k in ("old_surname", "name_swap", "typo", "diacritics_case_spacing")
    )
    married = world["surnames"].rename({"last_name": "new_name"})
    rows = (
        hfs.filter(~name_errors & ~pl.col("err_invalid_row"))
        .join(married, on="person_id")
        .with_columns(start=pl.col("ELIG_BEGIN_DT").str.to_date("%Y%m%d"))
    )
    after = rows.filter(pl.col("start") >= pl.col("valid_from"))
    assert after.height > 0
    assert (after["LAST_NM"] == after["new_name"].str.to_uppercase()).all()


def test_same_params_give_the_same_bytes(world, tmp_path):
    params = SynthParams(seed=11)
    t1 = emit.emit_all(world, params, tmp_path / "a")
    t2 = emit.emit_all(world, params, tmp_path / "b")
    assert t1.equals(t2)
    for agency in AGENCIES:
        name = contracts.get(agency).filename
        assert (tmp_path / "a" / agency / name).read_bytes() == (
            tmp_path / "b" / agency / name
        ).read_bytes()


def test_parent_names_on_births_carry_errors_only_where_flagged(world, emitted):
    landing, truth = emitted
    idph = _keyed(_parsed(landing, "idph"), "idph").join(truth, on="record_key")
    mothers = world["persons"].select(
        pl.col("person_id").alias("mother_id"),
        pl.col("first_name").str.to_uppercase().alias("true_first"),
        pl.col("last_name").str.to_uppercase().alias("true_maiden"),
    )
    births = idph.filter(pl.col("RECORD_TYPE") == "B", ~pl.col("err_invalid_row")).join(
        mothers, on="mother_id"
    )
    clean = births.filter(~pl.col("err_parent_identifiers"))
    assert clean.height > 0
    assert (clean["MOTHER_FIRST"] == clean["true_first"]).all()
    assert (clean["MOTHER_MAIDEN"] == clean["true_maiden"]).all()
    assert 0 < births["err_parent_identifiers"].sum() < births.height


def test_djj_is_tab_delimited_crlf_with_its_own_dates_and_codes(world, emitted):
    """DJJ's format: tab-delimited, CRLF, SAS DATE9 dates, a dashed SSN, a gender digit,
    one youth number per youth; and it round-trips to the world's stays."""
    landing, truth = emitted
    contract = contracts.get("djj")
    data = (landing / "djj" / contract.filename).read_bytes()
    lines = data.split(b"\r\n")
    assert lines[0].decode() == "\t".join(contract.columns) and lines[-1] == b""
    assert all(line.count(b"\t") == len(contract.columns) - 1 for line in lines[:-1])
    raw = _keyed(_parsed(landing, "djj"), "djj").join(truth, on="record_key")
    good = raw.filter(~pl.col("err_invalid_row"))
    assert good["ADM_DT"].str.contains(r"^\d{2}[A-Z]{3}\d{4}$").all()
    assert good["SSN"].drop_nulls().str.contains(r"^\d{3}-\d{2}-\d{4}$").all()
    assert set(good["GENDER"]) <= {"1", "2", "9"}
    numbers = good.group_by("person_id").agg(pl.col("YOUTH_NO").n_unique())
    assert (numbers["YOUTH_NO"] == 1).all()
    assert raw["YOUTH_NO"].n_unique() == raw["person_id"].n_unique()
    staged = contract.standardise(good.drop(truth.columns[1:]).lazy())[1].collect()
    stays = world["djj"].select(
        "admit_date", "release_date", "admission_type", "facility", "release_reason",
        "county_fips",
    )  # fmt: skip
    got = set(staged.select(stays.columns).rows())
    assert got <= set(stays.rows()) and len(got) > 0.9 * stays.height


def test_djj_identifier_coverage(world):
    """Youth: the SSN often missing, the date of birth almost always there, aliases."""
    params = SynthParams(seed=5)
    raw, truth = emit.build_extract(world, params, "djj")
    assert raw["SSN"].null_count() / raw.height == pytest.approx(0.7, abs=0.2)
    assert raw["BIRTH_DT"].null_count() <= 2
    assert truth["err_alias"].sum() > 0
    assert raw["AKA_FNAME"].null_count() == raw.height - truth["err_alias"].sum()


def test_dceo_is_a_camelcase_csv_with_iso_timestamps_and_household_rows(world, emitted):
    """DCEO's format: a CSV with a CamelCase header, ISO-8601 timestamps, ISO birth
    dates, one client number per person; the members of a LIHEAP application share its
    number, time of receipt and the applicant's address; it round-trips to the world's
    applications and enrolments."""
    landing, truth = emitted
    contract = contracts.get("dceo")
    data = (landing / "dceo" / contract.filename).read_bytes()
    assert data.split(b"\n")[0].decode() == ",".join(contract.columns) and b"\r" not in data
    raw = _keyed(_parsed(landing, "dceo"), "dceo").join(truth, on="record_key")
    good = raw.filter(~pl.col("err_invalid_row"))
    assert good["StartDateTime"].str.contains(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$").all()
    assert good["DateOfBirth"].drop_nulls().str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    numbers = good.group_by("person_id").agg(pl.col("ClientId").n_unique())
    assert (numbers["ClientId"] == 1).all()
    liheap = good.filter(pl.col("ProgramArea") == "LIHEAP")
    shared = liheap.group_by("ApplicationId").agg(
        pl.col("StartDateTime", "StreetAddress", "Zip").n_unique(), pl.len()
    )
    assert shared.height == 10 and (shared["len"] == 3).all()
    assert (shared.select("StartDateTime", "StreetAddress", "Zip") == 1).to_numpy().all()
    applicants = liheap.filter(pl.col("RelationshipToApplicant") == "Self")
    homes = world["residences"].select("person_id", "street_address")
    assert (
        applicants.join(homes, on="person_id")
        .select((pl.col("StreetAddress") == pl.col("street_address")).all())
        .item()
    )
    staged = contract.standardise(good.drop(truth.columns[1:]).lazy())[1].collect()
    applications = world["liheap"].select(
        pl.lit("LIHEAP").alias("program"), pl.col("application_date").alias("start_date"),
        ("LH" + pl.col("application_id")).alias("case_id"), "relationship", "program_year",
        "household_size", pl.col("benefit").alias("benefit_amount"), "heating_source",
    )  # fmt: skip
    enrolments = world["wioa"].select(
        pl.lit("WIOA").alias("program"), pl.col("enrol_date").alias("start_date"),
        pl.col("exit_date").alias("end_date"), "funding_stream", "exit_reason", "credential",
    )  # fmt: skip
    for expected in (applications, enrolments):
        got = set(staged.filter(pl.col("program") == expected["program"][0])
                  .select(expected.columns).rows())  # fmt: skip
        assert got <= set(expected.rows()) and len(got) > 0.8 * expected.height


def test_dceo_identifier_coverage(world):
    """LIHEAP children often come without an SSN, adults seldom; the date of birth is
    almost always there, and so is the household's address."""
    raw, truth = emit.build_extract(world, SynthParams(seed=5), "dceo")
    raw = raw.with_columns(truth["person_id"], truth["err_ssn_missing"])
    dob = world["persons"].select("person_id", pl.col("dob").alias("true_dob"))
    raw = raw.join(dob, on="person_id", how="left", maintain_order="left")
    start = pl.col("StartDateTime").str.slice(0, 10).str.to_date(strict=False)
    child = (pl.col("ProgramArea") == "LIHEAP") & (
        (start - pl.col("true_dob")).dt.total_days() < 18 * 365.25
    )
    missing = raw.group_by(child.alias("child")).agg(pl.col("Ssn").is_null().mean())
    share = dict(missing.iter_rows())
    assert share[True] > 0.4 and share[False] < 0.25
    assert raw["DateOfBirth"].null_count() <= 2
    liheap = raw.filter(pl.col("ProgramArea") == "LIHEAP")
    assert liheap["StreetAddress"].null_count() == 0 and liheap["Zip"].null_count() == 0


def test_idva_is_pipe_delimited_crlf_with_dd214_names_dates_and_codes(world, emitted):
    """IDVA's format: pipe-delimited, CRLF, names as LAST, FIRST MIDDLE, the DD-214 dates
    (YYYYMMDD) beside MM/DD/YYYY ones, one client number per veteran; and it round-trips
    to the world's benefit spells and the veterans' service."""
    landing, truth = emitted
    contract = contracts.get("idva")
    data = (landing / "idva" / contract.filename).read_bytes()
    lines = data.split(b"\r\n")
    assert lines[0].decode() == "|".join(contract.columns) and lines[-1] == b""
    assert all(line.count(b"|") == len(contract.columns) - 1 for line in lines[:-1])
    raw = _keyed(_parsed(landing, "idva"), "idva").join(truth, on="record_key")
    good = raw.filter(~pl.col("err_invalid_row"))
    assert good["EOD_DT"].str.contains(r"^\d{8}$").all()
    assert good["START_DT"].str.contains(r"^\d{2}/\d{2}/\d{4}$").all()
    assert good["VET_NAME"].str.contains(r"^[^,]+, [^,]+$").all()
    numbers = good.group_by("person_id").agg(pl.col("CLIENT_NO").n_unique())
    assert (numbers["CLIENT_NO"] == 1).all()
    staged = contract.standardise(good.drop(truth.columns[1:]).lazy())[1].collect()
    spells = world["idva"].join(world["military"], on="person_id").select(
        "program", "claim_type", "home", "start", "end", "outcome", "branch", "entry_date",
        "discharge_date", "character",
    )  # fmt: skip
    got = staged.select(
        "benefit", "claim_type", "home", "benefit_start", "benefit_end", "disposition", "branch",
        "service_entry", "service_release", "discharge_character",
    )  # fmt: skip
    assert set(got.rows()) <= set(spells.rows()) and got.height > 0.9 * spells.height


def test_idva_names_the_veteran_now_and_at_discharge(world, emitted):
    """The name at discharge is the surname held on the discharge day: a surname taken
    later shows in the name now, and the standardiser stages the old one as the alias."""
    landing, truth = emitted
    contract = contracts.get("idva")
    raw = _keyed(_parsed(landing, "idva"), "idva").join(truth, on="record_key")
    name_errors = pl.any_horizontal(
        pl.col(f"err_{k}")
        for k in ("old_surname", "name_swap", "typo", "diacritics_case_spacing", "invalid_row")
    )
    clean = raw.filter(~name_errors)
    service = (
        world["military"]
        .join(world["persons"], on="person_id")
        .join(world["surnames"].rename({"last_name": "new_name"}), on="person_id", how="left")
    )
    at_discharge = pl.when(pl.col("discharge_date") >= pl.col("valid_from")).then("new_name")
    expected = service.select(
        "person_id", pl.coalesce(at_discharge, "last_name").str.to_uppercase().alias("svc_last")
    )
    rows = clean.join(expected, on="person_id")
    assert (rows["SVC_NAME"].str.extract(r"^([^,]+),") == rows["svc_last"]).all()
    changed = rows.filter(pl.col("SVC_NAME").str.extract(r"^([^,]+),") != pl.col("VET_NAME")
                          .str.extract(r"^([^,]+),"))  # fmt: skip
    assert changed.height > 0
    ids = contract.standardise(changed.drop(truth.columns[1:], "svc_last").lazy())[0].collect()
    assert ids["alias_last_name"].to_list() == changed["svc_last"].to_list()


def test_idva_identifier_coverage(world):
    """Veterans: the SSN nearly always there (VA files are keyed by it), the date of birth
    too; the address's ZIP as of the record."""
    raw, truth = emit.build_extract(world, SynthParams(seed=5), "idva")
    assert raw["SSN"].null_count() <= 2 and raw["DOB"].null_count() <= 1
    assert raw["ZIP"].null_count() == 0
    assert truth["err_ssn_missing"].sum() == raw["SSN"].null_count()


def test_ides_ui_is_fixed_width_with_implied_decimals_and_the_claimants_address(world, emitted):
    """IDES UI claims: fixed-width ASCII lines of one length, CCYYMMDD dates, the weekly
    benefit in cents with the decimal point implied, zero-padded weeks, the claimant's
    address as of the benefit year; it round-trips to the world's claims."""
    landing, truth = emitted
    contract = contracts.get("ides_ui")
    data = (landing / "ides_ui" / contract.filename).read_bytes()
    lines = data.decode("ascii").split("\n")
    assert lines[-1] == "" and {len(line) for line in lines[:-1]} == {sum(contract.widths)}
    raw = _keyed(_parsed(landing, "ides_ui"), "ides_ui").join(truth, on="record_key")
    good = raw.filter(~pl.col("err_invalid_row"))
    assert good["WBA"].str.contains(r"^\d{7}$").all()
    assert (good["WKS_CLMD"].str.len_chars() == 2).all()
    assert good["BYB_DT"].str.contains(r"^20\d{6}$").all() and (good["STATE"] == "IL").all()
    homes = world["residences"].select("person_id", pl.col("street_address").str.to_uppercase())
    addressed = good.join(homes, on="person_id")
    assert (addressed["ADDR_LINE"] == addressed["street_address"].str.slice(0, 30)).all()
    staged = contract.standardise(good.drop(truth.columns[1:]).lazy())[1].collect()
    claims = world["ui_claims"].drop("person_id")
    got = staged.select(
        "benefit_year_begin", "program", "separation_reason", "weekly_benefit",
        "weeks_claimed", "weeks_paid",
    )  # fmt: skip
    assert set(got.rows()) <= set(claims.rows()) and got.height > 0.9 * claims.height


def test_ides_ui_identifier_coverage(world):
    """A claim always carries an SSN, nearly always a date of birth, and an address."""
    raw, truth = emit.build_extract(world, SynthParams(seed=5), "ides_ui")
    assert raw["CLMT_SSN"].null_count() == 0 and raw["CLMT_DOB"].null_count() <= 1
    assert raw["ADDR_LINE"].null_count() == 0 and raw["ZIP"].null_count() == 0
    assert truth["err_ssn_shared_in_family"].sum() == 0
