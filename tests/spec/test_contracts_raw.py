"""Each agency contract on tiny inline tables: a valid row passes and standardises to
the staged schemas; each kind of bad value fails with its stable reason code."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
import pytest

from enclave import contracts
from enclave.config import AGENCIES
from enclave.contracts.base import GRAIN_CHECK, StagedIdentifiers

VALID: dict[str, dict[str, str | None]] = {
    "hfs": {
        "RECIP_ID": "123456789",
        "SSN": "123456789",
        "FIRST_NM": "WILLIAM",
        "MID_INIT": "J",
        "LAST_NM": "SMITH",
        "NAME_SFX": "JR",
        "BIRTH_DT": "19800131",
        "SEX_CD": "M",
        "ZIP5": "60601",
        "ELIG_BEGIN_DT": "20200101",
        "ELIG_END_DT": None,
        "ELIG_CAT": "AD",
    },
    "idhs": {
        "case_no": "C000000123",
        "member_no": "02",
        "ssn": None,
        "first_name": "Maria",
        "last_name": "Garcia",
        "birth_date": "01/31/1985",
        "sex": "2",
        "street_addr": "1 MAIN ST",
        "city": "CHICAGO",
        "zip": "60601",
        "program": "FS",
        "benefit_month": "03/01/2019",
        "rel_to_head": "01",
    },
    "aging": {
        "CLIENT_ID": "A000000001",
        "LAST_NAME": "KOWALSKI",
        "FIRST_NAME": "ANN",
        "MI": None,
        "DOB": "07041940",
        "SEX": "F",
        "SSN4": "1234",
        "ZIP": "62701",
        "SVC_START": "01152018",
        "SVC_END": None,
        "SVC_TYPE": "IHS",
    },
    "dcfs": {
        "CHILD_ID": "12345678",
        "CHILD_FIRST_NAME": "José",
        "CHILD_LAST_NAME": "Peña",
        "CHILD_DOB": "05-MAR-2012",
        "CHILD_SEX": "M",
        "CHILD_SSN": None,
        "EVENT_TYPE": "PLC",
        "START_DATE": "14-FEB-2016",
        "END_DATE": "30-SEP-2017",
        "FINDING": None,
        "PLCMT_TYPE": "FC",
        "COUNTY_CD": "031",
    },
    "isbe": {
        "sid": "987654321",
        "legal_first_name": "Zoe",
        "legal_middle_name": None,
        "legal_last_name": "Nguyen",
        "birth_date": "2010-09-01",
        "gender": "F",
        "school_year": "2016-2017",
        "grade_level": "KG",
        "exit_code": "01",
        "county_fips": "17031",
    },
    "ides": {
        "SSN": "123456789",
        "LAST_NAME": "SMITH",
        "FIRST_NAME": "W",
        "YEAR": "2019",
        "QTR": "3",
        "FEIN": "360000001",
        "WAGES": "10250.75",
    },
    "idoc": {
        "IDOC_NO": "R12345",
        "LAST_NAME": "BROWN",
        "FIRST_NAME": "ROBERT",
        "MIDDLE_NAME": None,
        "SUFFIX": None,
        "ALIAS_LAST": "BROWNE",
        "ALIAS_FIRST": "BOBBY",
        "DOB": "12/25/1975",
        "SEX": "M",
        "SSN": None,
        "ADMIT_DATE": "06/30/2010",
        "RELEASE_DATE": "06/29/2014",
        "OFFENSE_CLASS": "X",
        "COMMIT_COUNTY": "17031",
    },
    "idph": {
        "CERT_NO": "B2015000042",
        "RECORD_TYPE": "B",
        "EVENT_DATE": "2015-04-02",
        "FIRST_NAME": "AVA",
        "MIDDLE_NAME": None,
        "LAST_NAME": "LOPEZ",
        "SUFFIX": None,
        "DOB": "2015-04-02",
        "SEX": "F",
        "SSN": None,
        "MOTHER_FIRST": "MARIA",
        "MOTHER_LAST": "LOPEZ",
        "MOTHER_MAIDEN": "GARCIA",
        "MOTHER_DOB": "1990-01-31",
        "FATHER_FIRST": None,
        "FATHER_LAST": None,
        "FATHER_DOB": None,
        "PLURALITY": "1",
        "COUNTY_FIPS": "17031",
    },
    "djj": {
        "YOUTH_NO": "Y0304952",
        "LNAME": "WASHINGTON",
        "FNAME": "DESHAWN",
        "MNAME": None,
        "SFX": "JR",
        "AKA_LNAME": None,
        "AKA_FNAME": "SHAWN",
        "BIRTH_DT": "02SEP2001",
        "GENDER": "1",
        "SSN": "318-44-1234",
        "ADM_DT": "10APR2017",
        "ADM_TYPE": "NC",
        "FACILITY": "STC",
        "REL_DT": None,
        "REL_RSN": None,
        "CNTY": "031",
    },
    "dceo": {
        "ProgramArea": "LIHEAP",
        "ClientId": "D06915914",
        "ApplicationId": "LH2024000123",
        "RelationshipToApplicant": "Grandchild",
        "FirstName": "Mía",
        "MiddleName": None,
        "LastName": "Peña",
        "Suffix": None,
        "DateOfBirth": "2016-02-29",
        "Gender": "Female",
        "Ssn": None,
        "StreetAddress": "9071 CENTER ST APT 3",
        "City": "CICERO",
        "Zip": "60804",
        "StartDateTime": "2023-11-04T09:15:00",
        "EndDateTime": None,
        "ProgramYear": "2024",
        "HouseholdSize": "4",
        "BenefitAmount": "612.00",
        "HeatingSource": "NaturalGas",
        "FundingStream": None,
        "ExitReason": None,
        "CredentialType": None,
    },
    "idva": {
        "CLIENT_NO": "V00012345",
        "SSN": "318441234",
        "VET_NAME": "KOWALSKI, ANNA MARIE",
        "SFX": None,
        "SVC_NAME": "NOWAK, ANNA MARIE",
        "DOB": "03/14/1948",
        "SEX": "F",
        "ZIP": "60601",
        "BRANCH": "A",
        "EOD_DT": "19670612",
        "RAD_DT": "19690611",
        "CHAR_SVC": "HON",
        "SVC_TYPE": "CL",
        "CLAIM_TYPE": "COMP",
        "HOME": None,
        "START_DT": "05/02/2011",
        "END_DT": "11/30/2011",
        "DISP": "GR",
    },
    "ides_ui": {
        "CLMT_SSN": "318441234",
        "CLMT_LAST": "NOWAK",
        "CLMT_FIRST": "ANNA",
        "CLMT_MI": "M",
        "CLMT_DOB": "19700314",
        "CLMT_SEX": "F",
        "ADDR_LINE": "1234 N MILWAUKEE AVE APT 2",
        "CITY": "CHICAGO",
        "STATE": "IL",
        "ZIP": "60622",
        "BYB_DT": "20200329",
        "PGM": "UI",
        "SEP_RSN": "LW",
        "WBA": "0045600",
        "WKS_CLMD": "14",
        "WKS_PAID": "14",
    },
}

#: (agency, column, bad value, expected reason code)
BAD = [
    ("hfs", "BIRTH_DT", "1980-01-31", "date_format:BIRTH_DT"),
    ("hfs", "BIRTH_DT", "19801332", "date_value:BIRTH_DT"),
    ("hfs", "BIRTH_DT", "18500101", "date_value:BIRTH_DT"),
    ("hfs", "SSN", "12345678", "format:SSN"),
    ("hfs", "SEX_CD", "X", "code:SEX_CD"),
    ("hfs", "ZIP5", "6060", "format:ZIP5"),
    ("hfs", "ELIG_CAT", "ZZ", "code:ELIG_CAT"),
    ("hfs", "RECIP_ID", None, "not_nullable:RECIP_ID"),
    ("idhs", "birth_date", "1985-01-31", "date_format:birth_date"),
    ("idhs", "birth_date", "02/30/1985", "date_value:birth_date"),
    ("idhs", "sex", "M", "code:sex"),
    ("idhs", "program", "XX", "code:program"),
    ("aging", "SSN4", "12a4", "format:SSN4"),
    ("aging", "DOB", "13011940", "date_value:DOB"),
    ("aging", "SVC_TYPE", "ZZZ", "code:SVC_TYPE"),
    ("aging", "FIRST_NAME", "A" * 16, "width:FIRST_NAME"),
    ("dcfs", "START_DATE", "2016-02-14", "date_format:START_DATE"),
    ("dcfs", "START_DATE", "31-FEB-2016", "date_value:START_DATE"),
    ("dcfs", "START_DATE", "14-FOO-2016", "date_value:START_DATE"),
    ("dcfs", "EVENT_TYPE", "UNK", "code:EVENT_TYPE"),
    ("isbe", "grade_level", "14", "code:grade_level"),
    ("isbe", "school_year", "2016", "format:school_year"),
    ("isbe", "birth_date", "2010-02-30", "date_value:birth_date"),
    ("ides", "WAGES", "-250.00", "range:WAGES"),
    ("ides", "WAGES", "12,50", "numeric:WAGES"),
    ("ides", "QTR", "5", "code:QTR"),
    ("ides", "SSN", None, "not_nullable:SSN"),
    ("idoc", "IDOC_NO", "12345", "format:IDOC_NO"),
    ("idoc", "ADMIT_DATE", "13/01/2010", "date_value:ADMIT_DATE"),
    ("idoc", "OFFENSE_CLASS", "Z", "code:OFFENSE_CLASS"),
    ("idph", "EVENT_DATE", "2015-13-01", "date_value:EVENT_DATE"),
    ("idph", "SEX", "Q", "code:SEX"),
    ("idph", "PLURALITY", "0", "code:PLURALITY"),
    ("djj", "YOUTH_NO", "0304952", "format:YOUTH_NO"),
    ("djj", "BIRTH_DT", "2001-09-02", "date_format:BIRTH_DT"),
    ("djj", "BIRTH_DT", "02Sep2001", "date_format:BIRTH_DT"),
    ("djj", "ADM_DT", "31FEB2017", "date_value:ADM_DT"),
    ("djj", "ADM_DT", "10APR1985", "date_value:ADM_DT"),
    ("djj", "ADM_DT", None, "not_nullable:ADM_DT"),
    ("djj", "GENDER", "M", "code:GENDER"),
    ("djj", "SSN", "318441234", "format:SSN"),
    ("djj", "ADM_TYPE", "XX", "code:ADM_TYPE"),
    ("djj", "FACILITY", "VAL", "code:FACILITY"),
    ("djj", "REL_RSN", "XX", "code:REL_RSN"),
    ("djj", "CNTY", "17031", "format:CNTY"),
    ("dceo", "ProgramArea", "Liheap", "code:ProgramArea"),
    ("dceo", "ClientId", "06915914", "format:ClientId"),
    ("dceo", "ApplicationId", "LH-2024-000123", "format:ApplicationId"),
    ("dceo", "RelationshipToApplicant", "GRANDCHILD", "code:RelationshipToApplicant"),
    ("dceo", "DateOfBirth", "02/29/2016", "date_format:DateOfBirth"),
    ("dceo", "DateOfBirth", "2015-02-29", "date_value:DateOfBirth"),
    ("dceo", "Gender", "F", "code:Gender"),
    ("dceo", "Ssn", "318-44-1234", "format:Ssn"),
    ("dceo", "StartDateTime", "2023-11-04", "date_format:StartDateTime"),
    ("dceo", "StartDateTime", "2023-11-04 09:15:00", "date_format:StartDateTime"),
    ("dceo", "StartDateTime", "2023-11-31T09:15:00", "date_value:StartDateTime"),
    ("dceo", "StartDateTime", None, "not_nullable:StartDateTime"),
    ("dceo", "EndDateTime", "1989-06-30T00:00:00", "date_value:EndDateTime"),
    ("dceo", "ProgramYear", "24", "format:ProgramYear"),
    ("dceo", "HouseholdSize", "0", "format:HouseholdSize"),
    ("dceo", "BenefitAmount", "612", "format:BenefitAmount"),
    ("dceo", "HeatingSource", "Gas", "code:HeatingSource"),
    ("dceo", "FundingStream", "DW", "code:FundingStream"),
    ("dceo", "ExitReason", "Employed", "code:ExitReason"),
    ("dceo", "CredentialType", "GED", "code:CredentialType"),
    ("idva", "CLIENT_NO", "00012345", "format:CLIENT_NO"),
    ("idva", "SSN", "318-44-1234", "format:SSN"),
    ("idva", "VET_NAME", "KOWALSKI ANNA", "format:VET_NAME"),
    ("idva", "VET_NAME", "ANNA KOWALSKI, JR, X", "format:VET_NAME"),
    ("idva", "SVC_NAME", "NOWAK,ANNA", "format:SVC_NAME"),
    ("idva", "DOB", "1948-03-14", "date_format:DOB"),
    ("idva", "EOD_DT", "06/12/1967", "date_format:EOD_DT"),
    ("idva", "RAD_DT", "19690631", "date_value:RAD_DT"),
    ("idva", "START_DT", None, "not_nullable:START_DT"),
    ("idva", "START_DT", "05/02/1985", "date_value:START_DT"),
    ("idva", "BRANCH", "USAF", "code:BRANCH"),
    ("idva", "CHAR_SVC", "HD", "code:CHAR_SVC"),
    ("idva", "SVC_TYPE", "VA", "code:SVC_TYPE"),
    ("idva", "CLAIM_TYPE", "DIC", "code:CLAIM_TYPE"),
    ("idva", "HOME", "ELG", "code:HOME"),
    ("idva", "DISP", "AP", "code:DISP"),
    ("idva", "SEX", "U", "code:SEX"),
    ("ides_ui", "CLMT_SSN", None, "not_nullable:CLMT_SSN"),
    ("ides_ui", "CLMT_SSN", "31844123", "format:CLMT_SSN"),
    ("ides_ui", "CLMT_DOB", "03141970", "date_value:CLMT_DOB"),
    ("ides_ui", "CLMT_DOB", "70-03-14", "date_format:CLMT_DOB"),
    ("ides_ui", "BYB_DT", "20200230", "date_value:BYB_DT"),
    ("ides_ui", "BYB_DT", "19850329", "date_value:BYB_DT"),
    ("ides_ui", "PGM", "UCF", "code:PGM"),
    ("ides_ui", "SEP_RSN", "XX", "code:SEP_RSN"),
    ("ides_ui", "WBA", "456.00", "format:WBA"),
    ("ides_ui", "WBA", "45600", "format:WBA"),
    ("ides_ui", "WKS_CLMD", "7", "format:WKS_CLMD"),
    ("ides_ui", "STATE", "Il", "format:STATE"),
    ("ides_ui", "CLMT_MI", "1", "format:CLMT_MI"),
    ("ides_ui", "ADDR_LINE", "A" * 31, "width:ADDR_LINE"),
]


def frame(agency: str, *rows: dict[str, str | None]) -> pl.DataFrame:
    contract = contracts.get(agency)
    return pl.DataFrame(list(rows), schema={c: pl.String for c in contract.columns})


def reasons(agency: str, df: pl.DataFrame) -> set[str]:
    """The reason codes validation gives (``check:column``), or an empty set."""
    try:
        contracts.get(agency).raw.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.filter(pl.col("check") != "dtype('String')")
        return {
            f"{check}:{column}" if column else check
            for check, column in cases.select("check", "column").iter_rows()
        }
    return set()


def test_registry_lists_every_agency_in_pipeline_order():
    assert tuple(contracts.ALL) == AGENCIES
    assert all(contracts.get(a).agency == a for a in AGENCIES)
    with pytest.raises(KeyError, match="nope"):
        contracts.get("nope")


@pytest.mark.parametrize("agency", AGENCIES)
def test_columns_are_described_and_valid_columns_match_the_row(agency):
    contract = contracts.get(agency)
    assert list(VALID[agency]) == contract.columns
    schema = contract.raw.to_schema()
    assert all(col.description for col in schema.columns.values())
    assert set(contract.grain_key) <= set(contract.columns)


@pytest.mark.parametrize("agency", AGENCIES)
def test_valid_row_passes_and_standardises_to_staged_schemas(agency):
    contract = contracts.get(agency)
    df = frame(agency, VALID[agency])
    assert reasons(agency, df) == set()
    ids, content = contract.standardise(
        df.with_columns(record_key=pl.lit(f"{agency}-000000001")).lazy()
    )
    ids, content = ids.collect(), content.collect()
    StagedIdentifiers.validate(ids)
    contract.content.validate(content)
    assert ids.height == content.height == 1
    assert content["agency"].to_list() == [agency]


@pytest.mark.parametrize(("agency", "column", "value", "code"), BAD)
def test_bad_value_fails_with_its_reason_code(agency, column, value, code):
    row = {**VALID[agency], column: value}
    assert reasons(agency, frame(agency, row)) == {code}


@pytest.mark.parametrize("agency", AGENCIES)
def test_grain_allows_exact_repeats_but_not_conflicting_rows(agency):
    contract = contracts.get(agency)
    row = VALID[agency]
    assert reasons(agency, frame(agency, row, row)) == set()
    # a first-name column, or a whole-name one (IDVA's LAST, FIRST MIDDLE)
    names = [c for c in contract.columns if any(n in c.upper() for n in ("FIRST", "FNAME"))]
    first = (names or [c for c in contract.columns if c.upper().endswith("_NAME")])[0]
    conflicting = {**row, first: row[first] + "X"}
    assert GRAIN_CHECK in {
        r.split(":")[0] for r in reasons(agency, frame(agency, row, conflicting))
    }


def test_staged_values_are_parsed_from_agency_formats():
    ids, content = contracts.get("dcfs").standardise(
        frame("dcfs", VALID["dcfs"]).with_columns(record_key=pl.lit("dcfs-000000001")).lazy()
    )
    row = {**ids.collect().row(0, named=True), **content.collect().row(0, named=True)}
    assert str(row["dob"]) == "2012-03-05"
    assert row["event_type"] == "PLACEMENT" and row["placement_type"] == "FOSTER"
    assert row["county_fips"] == "17031" and row["first_name"] == "José"


def test_djj_values_are_parsed_from_its_formats():
    """DATE9 dates, the gender digit, the dashed SSN, the three-digit county, the codes."""
    row = {**VALID["djj"], "REL_DT": "28FEB2018", "REL_RSN": "TA", "ADM_TYPE": "AV"}
    ids, content = contracts.get("djj").standardise(
        frame("djj", row).with_columns(record_key=pl.lit("djj-000000001")).lazy()
    )
    staged = {**ids.collect().row(0, named=True), **content.collect().row(0, named=True)}
    assert str(staged["dob"]) == "2001-09-02" and str(staged["seen"]) == "2017-04-10"
    assert staged["sex"] == "M" and staged["ssn"] == "318441234"
    assert staged["alias_first_name"] == "SHAWN" and staged["suffix"] == "JR"
    assert staged["county_fips"] == "17031" and staged["facility"] == "STC"
    assert str(staged["release_date"]) == "2018-02-28"
    assert staged["admission_type"] == "AFTERCARE_VIOLATION"
    assert staged["release_reason"] == "TRANSFER_IDOC"
    unknown = {**VALID["djj"], "GENDER": "9", "SSN": None, "CNTY": None}
    ids, content = contracts.get("djj").standardise(
        frame("djj", unknown).with_columns(record_key=pl.lit("djj-000000001")).lazy()
    )
    staged = {**ids.collect().row(0, named=True), **content.collect().row(0, named=True)}
    assert staged["sex"] is None and staged["ssn"] is None and staged["county_fips"] is None


def test_idva_values_are_parsed_from_its_formats():
    """The one-field names (now, and at discharge as the alias where it differs), the
    DD-214 dates (YYYYMMDD) beside the MM/DD/YYYY ones, the codes."""
    ids, content = contracts.get("idva").standardise(
        frame("idva", VALID["idva"]).with_columns(record_key=pl.lit("idva-000000001")).lazy()
    )
    staged = {**ids.collect().row(0, named=True), **content.collect().row(0, named=True)}
    assert (staged["last_name"], staged["first_name"], staged["middle_name"]) == (
        "KOWALSKI", "ANNA", "MARIE",
    )  # fmt: skip
    assert staged["alias_last_name"] == "NOWAK" and staged["alias_first_name"] is None
    assert str(staged["dob"]) == "1948-03-14" and str(staged["seen"]) == "2011-05-02"
    assert str(staged["service_entry"]) == "1967-06-12"
    assert str(staged["service_release"]) == "1969-06-11"
    assert (staged["benefit"], staged["claim_type"], staged["disposition"]) == (
        "CLAIM", "COMPENSATION", "GRANTED",
    )  # fmt: skip
    assert staged["branch"] == "ARMY" and staged["discharge_character"] == "HONORABLE"
    stay = {**VALID["idva"], "VET_NAME": "NOWAK, ANNA", "SVC_NAME": "NOWAK, ANNA",
            "SVC_TYPE": "VH", "CLAIM_TYPE": None, "HOME": "QCY", "END_DT": None,
            "DISP": None}  # fmt: skip
    ids, content = contracts.get("idva").standardise(
        frame("idva", stay).with_columns(record_key=pl.lit("idva-000000002")).lazy()
    )
    staged = {**ids.collect().row(0, named=True), **content.collect().row(0, named=True)}
    assert staged["middle_name"] is None and staged["alias_last_name"] is None
    assert (staged["benefit"], staged["home"], staged["benefit_end"]) == ("HOME", "QCY", None)


def _dceo_staged(row: dict) -> dict:
    ids, content = contracts.get("dceo").standardise(
        frame("dceo", row).with_columns(record_key=pl.lit("dceo-000000001")).lazy()
    )
    return {**ids.collect().row(0, named=True), **content.collect().row(0, named=True)}


def test_dceo_liheap_member_is_parsed_from_its_formats():
    """A LIHEAP member: the timestamp's date, the ISO birth date, PascalCase codes, the
    application number as the household's case, the household's address and ZIP."""
    staged = _dceo_staged(VALID["dceo"])
    assert str(staged["seen"]) == "2023-11-04" and str(staged["start_date"]) == "2023-11-04"
    assert str(staged["dob"]) == "2016-02-29" and staged["sex"] == "F"
    assert staged["first_name"] == "Mía" and staged["ssn"] is None
    assert staged["agency_id"] == "D06915914" and staged["case_id"] == "LH2024000123"
    assert staged["street_address"] == "9071 CENTER ST APT 3" and staged["zip"] == "60804"
    assert staged["program"] == "LIHEAP" and staged["relationship"] == "GRANDCHILD"
    assert (staged["program_year"], staged["household_size"]) == (2024, 4)
    assert staged["benefit_amount"] == 612.0 and staged["heating_source"] == "NATURAL_GAS"
    assert staged["end_date"] is None and staged["funding_stream"] is None


def test_dceo_wioa_enrolment_is_parsed_from_its_formats():
    """A WIOA enrolment: start and exit timestamps, funding stream, exit reason,
    credential; no household fields; Unknown gender stages as null."""
    row = {
        **VALID["dceo"],
        "ProgramArea": "WIOA", "ApplicationId": None, "RelationshipToApplicant": None,
        "DateOfBirth": "1969-05-30", "Gender": "Unknown", "Ssn": "350402803",
        "StartDateTime": "2015-07-30T16:21:00", "EndDateTime": "2016-06-05T00:00:00",
        "ProgramYear": None, "HouseholdSize": None, "BenefitAmount": None,
        "HeatingSource": None, "FundingStream": "DislocatedWorker", "ExitReason": "Completed",
        "CredentialType": "OccupationalLicense",
    }  # fmt: skip
    assert reasons("dceo", frame("dceo", row)) == set()
    staged = _dceo_staged(row)
    assert staged["program"] == "WIOA" and staged["case_id"] is None
    assert str(staged["start_date"]) == "2015-07-30" and str(staged["end_date"]) == "2016-06-05"
    assert staged["funding_stream"] == "DISLOCATED_WORKER" and staged["sex"] is None
    assert staged["exit_reason"] == "COMPLETED"
    assert staged["credential"] == "OCCUPATIONAL_LICENSE" and staged["ssn"] == "350402803"
    assert staged["program_year"] is None and staged["benefit_amount"] is None


def test_ides_ui_values_are_parsed_from_its_formats():
    """CCYYMMDD dates, the weekly benefit in cents with the decimal point implied, the
    zero-padded weeks, the address and date of birth the wage records lack."""
    ids, content = contracts.get("ides_ui").standardise(
        frame("ides_ui", VALID["ides_ui"])
        .with_columns(record_key=pl.lit("ides_ui-000000001"))
        .lazy()
    )
    staged = {**ids.collect().row(0, named=True), **content.collect().row(0, named=True)}
    assert str(staged["dob"]) == "1970-03-14" and str(staged["seen"]) == "2020-03-29"
    assert staged["street_address"] == "1234 N MILWAUKEE AVE APT 2" and staged["zip"] == "60622"
    assert staged["weekly_benefit"] == 456.0
    assert (staged["weeks_claimed"], staged["weeks_paid"]) == (14, 14)
    assert (staged["program"], staged["separation_reason"]) == ("UI", "LACK_OF_WORK")
    assert staged["agency_id"] is None


def test_every_contract_declares_its_timeline_and_label():
    """What the analytic tables and studies read from a contract (programs, life events,
    reference date, report label) is declared on every registered contract, and its
    content columns are the staged content model's."""
    for agency, contract in contracts.ALL.items():
        assert contract.timeline is not None and contract.label, agency
        assert contract.content_columns == tuple(contract.content.to_schema().columns)[2:]
        covers = contract.timeline.program is not None
        assert covers == bool(contract.timeline.programs), agency


@pytest.mark.parametrize("agency", ["aging", "ides", "ides_ui"])
def test_fixed_width_parse_round_trips_a_line(agency):
    contract = contracts.get(agency)
    assert len(contract.widths) == len(contract.columns)
    line = "".join(
        (VALID[agency][c] or "").ljust(w)
        for c, w in zip(contract.columns, contract.widths, strict=True)
    )
    parsed = contract.parse((line + "\n").encode("ascii"))
    assert parsed.row(0, named=True) == VALID[agency]


def test_delimited_parse_rejects_a_wrong_header():
    with pytest.raises(ValueError, match="header"):
        contracts.get("hfs").parse(b"A,B\n1,2\n")
