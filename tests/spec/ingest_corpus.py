"""The malformed-delivery corpus: each case is a small valid toy delivery with one
mutation, and the outcome ingestion must give it (a file-level fault code, or which
rows go to quarantine with which reasons). docs/ingestion.md tabulates the same
cases; ``markdown_table()`` renders the table the docs must contain."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest_toys import (
    HEADER,
    PARAMS,
    ROWS,
    TOY,
    TOY_PIPE_LATIN,
    WIDE,
    WIDE_ROWS,
    wide_dat,
    wide_line,
)

from enclave import contracts
from enclave.config import IngestParams
from enclave.contracts.base import Contract

COLUMNS = TOY.columns

#: the real DJJ contract: tab-delimited, CRLF line ends, SAS DATE9 dates
DJJ = contracts.get("djj")
DJJ_ROWS = [
    "Y0304952\tWASHINGTON\tDESHAWN\t\tJR\t\tSHAWN\t02SEP2001\t1\t318-44-1234\t10APR2017"
    "\tNC\tSTC\t28FEB2018\tAR\t031",
    "Y0304952\tWASHINGTON\tDESHAWN\t\tJR\t\t\t02SEP2001\t1\t\t03JUN2018\tAV\tCHI\t\t\t031",
    "Y8964752\tCASTILLO\tMARIA\tLUZ\t\t\t\t21AUG2004\t2\t\t19AUG2019\tCE\tWAR\t12SEP2019\tEC\t201",
    "Y2219233\tO'BRIEN\tLIAM\t\t\tBRIAN\t\t05SEP2003\t9\t\t07SEP2018\tNC\tHAR\t22APR2019\tDS\t",
]
DJJ_HEADER = "\t".join(DJJ.columns)


def djj(rows: list[str] | None = None, eol: str = "\r\n", sep: str = "\t") -> bytes:
    """A DJJ delivery (its own line ends), rows tab-separated unless ``sep`` says."""
    lines = [DJJ_HEADER, *(DJJ_ROWS if rows is None else rows)]
    return "".join(line.replace("\t", sep) + eol for line in lines).encode("utf-8")


def djj_edit(i: int, **values: str) -> list[str]:
    """DJJ_ROWS with row ``i`` (0-based) changed in the named columns."""
    rows = [r.split("\t") for r in DJJ_ROWS]
    for name, value in values.items():
        rows[i][DJJ.columns.index(name)] = value
    return ["\t".join(r) for r in rows]


#: the real IDVA contract: pipe-delimited, CRLF line ends, names LAST, FIRST MIDDLE,
#: dates MM/DD/YYYY beside the DD-214's YYYYMMDD
IDVA = contracts.get("idva")
IDVA_ROWS = [
    "V00012345|318441234|KOWALSKI, ANNA MARIE||NOWAK, ANNA MARIE|03/14/1948|F|60601|A|19670612"
    "|19690611|HON|CL|COMP||05/02/2011|11/30/2011|GR",
    "V00012345|318441234|KOWALSKI, ANNA MARIE||NOWAK, ANNA MARIE|03/14/1948|F|60601|A|19670612"
    "|19690611|HON|VH||MAN|06/03/2019||",
    "V20457731|361025577|WASHINGTON, JAMES EARL|JR|WASHINGTON, JAMES EARL|09/30/1951|M|62704|M"
    "|19700105|19731230|GEN|CL|PENS||02/14/2016|08/19/2016|DN",
    "V88310264||O'NEIL, PATRICK||O'NEIL, PATRICK|07/04/1985|M|61820|F|20030811|20070810|HON|CL"
    "|EDUC||09/01/2008|10/15/2008|GR",
]
IDVA_HEADER = "|".join(IDVA.columns)


def idva(rows: list[str] | None = None, eol: str = "\r\n", sep: str = "|") -> bytes:
    """An IDVA delivery (CRLF), rows pipe-separated unless ``sep`` says."""
    lines = [IDVA_HEADER, *(IDVA_ROWS if rows is None else rows)]
    return "".join(line.replace("|", sep) + eol for line in lines).encode("utf-8")


def idva_edit(i: int, **values: str) -> list[str]:
    """IDVA_ROWS with row ``i`` (0-based) changed in the named columns."""
    rows = [r.split("|") for r in IDVA_ROWS]
    for name, value in values.items():
        rows[i][IDVA.columns.index(name)] = value
    return ["|".join(r) for r in rows]


#: the real DCEO contract: CSV, a CamelCase header, ISO-8601 timestamps, PascalCase codes;
#: two members of one LIHEAP application, another application, a WIOA enrolment
DCEO = contracts.get("dceo")
DCEO_ROWS = [
    "LIHEAP,D06915914,LH2024000123,Self,Rosa,,Peña,,1958-03-14,Female,350402803,"
    "9071 CENTER ST,CICERO,60804,2023-11-04T09:15:00,,2024,2,612.00,NaturalGas,,,",
    "LIHEAP,D21787126,LH2024000123,Grandchild,Mía,,Peña,,2016-02-29,Female,,"
    "9071 CENTER ST,CICERO,60804,2023-11-04T09:15:00,,2024,2,612.00,NaturalGas,,,",
    "LIHEAP,D39937308,LH2024000124,Self,James,Earl,Washington,JR,1971-09-30,Male,361025577,"
    "412 OAK AVE APT 2,PEORIA,61603,2023-11-06T14:02:00,,2024,1,455.00,Propane,,,",
    "WIOA,D55706390,,,Gary,Brian,Lister,,1964-04-10,Male,353257527,9868 RIDGE RD,BELLFLOWER,"
    "61724,2015-08-15T08:21:00,2016-07-30T00:00:00,,,,,DislocatedWorker,Completed,"
    "OccupationalLicense",
]


def dceo(rows: list[str] | None = None, eol: str = "\n", header: str | None = None) -> bytes:
    """A DCEO delivery: its CamelCase header (or ``header``), comma-separated rows."""
    lines = [header or ",".join(DCEO.columns), *(DCEO_ROWS if rows is None else rows)]
    return "".join(line + eol for line in lines).encode("utf-8")


def dceo_edit(i: int, **values: str) -> list[str]:
    """DCEO_ROWS with row ``i`` (0-based) changed in the named columns."""
    rows = [r.split(",") for r in DCEO_ROWS]
    for name, value in values.items():
        rows[i][DCEO.columns.index(name)] = value
    return [",".join(r) for r in rows]


#: the real IDES UI claims contract: fixed-width ASCII, CCYYMMDD dates, the weekly
#: benefit in cents with the decimal point implied, zero-padded numbers
IDES_UI = contracts.get("ides_ui")
IDES_UI_ROWS = [
    ("318441234", "NOWAK", "ANNA", "M", "19700314", "F", "1234 N MILWAUKEE AVE APT 2",
     "CHICAGO", "IL", "60622", "20200329", "UI", "LW", "0045600", "14", "14"),
    ("361025577", "WASHINGTON", "JAMES", "E", "19510930", "M", "221 S 5TH ST", "SPRINGFIELD",
     "IL", "62701", "20190106", "UI", "VQ", "0031200", "02", "00"),
    ("402117788", "GARCIA", "LUIS", "", "19880512", "M", "77 W LAKE ST", "AURORA", "IL",
     "60506", "20210704", "UCX", "MS", "0038500", "09", "09"),
    ("355104466", "O'BRIEN", "KATHLEEN", "A", "19790221", "F", "5 CIRCLE DR", "PEORIA", "IL",
     "61614", "20230108", "UI", "DM", "0051100", "26", "26"),
]  # fmt: skip


def ides_ui(rows: list[tuple[str, ...]] | None = None, eol: str = "\n") -> bytes:
    """An IDES UI claims delivery: each field padded to its width, no header."""
    widths = IDES_UI.widths
    lines = ["".join(v.ljust(w) for v, w in zip(row, widths, strict=True))
             for row in (IDES_UI_ROWS if rows is None else rows)]  # fmt: skip
    return "".join(line + eol for line in lines).encode("ascii")


def ides_ui_edit(i: int, **values: str) -> list[tuple[str, ...]]:
    """IDES_UI_ROWS with row ``i`` (0-based) changed in the named columns."""
    rows = [list(r) for r in IDES_UI_ROWS]
    for name, value in values.items():
        rows[i][IDES_UI.columns.index(name)] = value
    return [tuple(r) for r in rows]


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    contract: Contract
    data: bytes
    #: file-level fault code, or None when the delivery is read
    error: str | None = None
    #: data rows the delivery holds (when read)
    rows: int = 0
    #: 1-based data row -> its reasons, for every row that must be quarantined
    quarantined: dict[int, tuple[str, ...]] = field(default_factory=dict)
    params: IngestParams = PARAMS
    duplicates: int = 0

    @property
    def outcome(self) -> str:
        """The outcome as docs/ingestion.md words it."""
        if self.error:
            return f"error `{self.error}`"
        if not self.quarantined:
            return f"all {self.rows} rows staged"
        parts = [
            f"row {r}: " + ", ".join(f"`{x}`" for x in rs) for r, rs in self.quarantined.items()
        ]
        return "quarantine " + "; ".join(parts)


def edit(i: int, **values: str) -> list[str]:
    """ROWS with row ``i`` (0-based) changed in the named columns."""
    rows = [r.split(",") for r in ROWS]
    for name, value in values.items():
        rows[i][COLUMNS.index(name)] = value
    return [",".join(r) for r in rows]


def csv(rows: list[str] | None = None, header: str = HEADER, eol: str = "\n", enc="utf-8") -> bytes:
    lines = [header, *(ROWS if rows is None else rows)]
    return "".join(line + eol for line in lines).encode(enc)


def pipe(rows: list[str] | None = None, enc: str = "cp1252") -> bytes:
    lines = [HEADER, *(ROWS if rows is None else rows)]
    return "".join(line.replace(",", "|") + "\n" for line in lines).encode(enc)


N, W = len(ROWS), len(WIDE_ROWS)
REORDERED = ",".join([COLUMNS[1], COLUMNS[0], *COLUMNS[2:]])


def _cases() -> list[Case]:
    t = TOY
    return [
        Case("valid", "unchanged delivery", t, csv(), rows=N),
        Case(
            "bad_date",
            "DOB 19801302 (no month 13)",
            t,
            csv(edit(0, DOB="19801302")),
            rows=N,
            quarantined={1: ("date_value:DOB",)},
        ),
        Case(
            "date_wrong_format",
            "DOB written 1980-01-02",
            t,
            csv(edit(1, DOB="1980-01-02")),
            rows=N,
            quarantined={2: ("date_format:DOB",)},
        ),
        Case(
            "date_out_of_range",
            "START 19800101, before 1990",
            t,
            csv(edit(2, START="19800101")),
            rows=N,
            quarantined={3: ("date_value:START",)},
        ),
        Case(
            "negative_amount",
            "AMOUNT -5",
            t,
            csv(edit(0, AMOUNT="-5")),
            rows=N,
            quarantined={1: ("range:AMOUNT",)},
        ),
        Case(
            "wrong_type_number",
            "AMOUNT 12a (not a number)",
            t,
            csv(edit(0, AMOUNT="12a")),
            rows=N,
            quarantined={1: ("numeric:AMOUNT",)},
        ),
        Case(
            "wrong_type_id",
            "PID ABCDEF (letters)",
            t,
            csv(edit(3, PID="ABCDEF")),
            rows=N,
            quarantined={4: ("format:PID",)},
        ),
        Case(
            "unknown_code",
            "CAT Z (not in A, B, C)",
            t,
            csv(edit(4, CAT="Z")),
            rows=N,
            quarantined={5: ("code:CAT",)},
        ),
        Case(
            "padded_code",
            "SEX ' F' (leading space)",
            t,
            csv(edit(4, SEX=" F")),
            rows=N,
            quarantined={5: ("code:SEX",)},
        ),
        Case(
            "bad_ssn",
            "SSN of 5 digits",
            t,
            csv(edit(0, SSN="12345")),
            rows=N,
            quarantined={1: ("format:SSN",)},
        ),
        Case(
            "required_empty",
            "PID empty",
            t,
            csv(edit(5, PID="")),
            rows=N,
            quarantined={6: ("not_nullable:PID",)},
        ),
        Case(
            "many_faults_one_row",
            "DOB, SEX and CAT wrong in one row",
            t,
            csv(edit(0, DOB="x", SEX="Q", CAT="Z")),
            rows=N,
            quarantined={1: ("code:CAT", "code:SEX", "date_format:DOB")},
        ),
        Case(
            "grain_conflict",
            "two differing rows share PID and START",
            t,
            csv(edit(1, PID="000001", START="20190101")),
            rows=N,
            quarantined={1: ("grain_unique:row",), 2: ("grain_unique:row",)},
        ),
        Case(
            "staged_model_fails",
            "AMOUNT 2000000 passes the raw model, fails content",
            t,
            csv(edit(6, AMOUNT="2000000")),
            rows=N,
            quarantined={7: ("less_than_or_equal_to:content.amount",)},
        ),
        Case(
            "duplicate_row",
            "row 1 repeated at the end",
            t,
            csv([*ROWS, ROWS[0]]),
            rows=N + 1,
            quarantined={N + 1: ("duplicate:row",)},
            duplicates=1,
        ),
        Case(
            "duplicate_keep_all",
            "row 1 repeated, rule keep_all",
            t,
            csv([*ROWS, ROWS[0]]),
            rows=N + 1,
            params=IngestParams(duplicate_rule="keep_all"),
            duplicates=1,
        ),
        Case(
            "missing_column",
            "AMOUNT dropped from header and rows",
            t,
            csv([r.rsplit(",", 1)[0] for r in ROWS], header=HEADER.rsplit(",", 1)[0]),
            error="header:missing_columns",
        ),
        Case(
            "extra_column",
            "a NOTE column added",
            t,
            csv([r + ",x" for r in ROWS], header=HEADER + ",NOTE"),
            error="header:extra_columns",
        ),
        Case(
            "renamed_column",
            "DOB renamed BIRTH_DT",
            t,
            csv(header=HEADER.replace("DOB", "BIRTH_DT")),
            error="header:renamed",
        ),
        Case(
            "misordered_columns",
            "PID and FIRST swapped",
            t,
            csv(header=REORDERED),
            error="header:order",
        ),
        Case(
            "duplicate_header",
            "LAST repeated in place of FIRST",
            t,
            csv(header=HEADER.replace("FIRST", "LAST")),
            error="header:duplicate_columns",
        ),
        Case(
            "wrong_delimiter",
            "semicolons instead of commas",
            t,
            csv([r.replace(",", ";") for r in ROWS], header=HEADER.replace(",", ";")),
            error="header:delimiter",
        ),
        Case(
            "latin1_in_utf8",
            "cp1252 bytes where UTF-8 is expected",
            t,
            csv(enc="cp1252"),
            error="encoding:undecodable",
        ),
        Case(
            "utf8_in_latin1",
            "UTF-8 bytes where cp1252 is expected",
            TOY_PIPE_LATIN,
            pipe(enc="utf-8"),
            error="encoding:utf8",
        ),
        Case("latin1_valid", "cp1252 accents in a cp1252 delivery", TOY_PIPE_LATIN, pipe(), rows=N),
        Case(
            "bom_utf8",
            "UTF-8 byte-order mark on a UTF-8 delivery",
            t,
            b"\xef\xbb\xbf" + csv(),
            rows=N,
        ),
        Case(
            "bom_in_latin1",
            "UTF-8 byte-order mark on a cp1252 delivery",
            TOY_PIPE_LATIN,
            b"\xef\xbb\xbf" + pipe(),
            error="encoding:utf8",
        ),
        Case("utf16", "UTF-16 delivery", t, csv(enc="utf-16"), error="encoding:binary"),
        Case("crlf", "CRLF line endings", t, csv(eol="\r\n"), rows=N),
        Case("mixed_eol", "CRLF and LF mixed", t, csv().replace(b"\n", b"\r\n", 3), rows=N),
        Case(
            "quoted_delimiter", 'LAST "Lee, Jr" quoted', t, csv(edit(0, LAST='"Lee, Jr"')), rows=N
        ),
        Case(
            "quoted_quote",
            'LAST "O""Hara" (escaped quote)',
            t,
            csv(edit(0, LAST='"O""Hara"')),
            rows=N,
        ),
        Case(
            "quoted_fields_adjacent",
            "every field of a row quoted",
            t,
            csv([",".join(f'"{v}"' for v in ROWS[0].split(",")), *ROWS[1:]]),
            rows=N,
        ),
        Case(
            "stray_quote",
            'a quote inside an unquoted value (Lee "Jr")',
            t,
            csv(edit(1, LAST='Lee "Jr"')),
            rows=N,
            quarantined={2: ("quoting:row",)},
        ),
        Case(
            "doubled_quote_prefix",
            'a field starting with "" then text',
            t,
            csv(edit(0, PID='""000001')),
            rows=N,
            quarantined={1: ("quoting:row",)},
        ),
        Case(
            "stray_delimiter",
            "an unquoted comma inside LAST",
            t,
            csv(edit(2, LAST="Lee, Jr")),
            rows=N,
            quarantined={3: ("field_count:row",)},
        ),
        Case(
            "unbalanced_quote",
            "a quote opened and never closed",
            t,
            csv(edit(2, LAST='"Lee')),
            rows=N,
            quarantined={3: ("quoting:row",)},
        ),
        Case(
            "truncated_mid_row",
            "file cut in the last row (fields missing)",
            t,
            csv()[: -len(ROWS[-1]) // 2 - 1],
            rows=N,
            quarantined={N: ("field_count:row",)},
        ),
        Case(
            "truncated_in_last_field",
            "file cut inside the last field (AMOUNT 4321 -> 43):"
            " undetectable, the rest is a valid value",
            t,
            csv(edit(N - 1, AMOUNT="4321")).rstrip(b"\n")[:-2],
            rows=N,
        ),
        Case("empty_file", "zero bytes", t, b"", error="empty:file"),
        Case("blank_file", "only blank lines", t, b"\n \r\n\n", error="empty:file"),
        Case("header_only", "a header and no rows", t, csv([]), error="empty:header_only"),
        Case(
            "header_then_blanks",
            "a header then blank lines",
            t,
            csv([]) + b"\n\n",
            error="empty:header_only",
        ),
        Case("trailing_blank_lines", "three blank lines at the end", t, csv() + b"\n \n\n", rows=N),
        Case("no_final_newline", "last line not terminated", t, csv().rstrip(b"\n"), rows=N),
        Case(
            "blank_line_inside",
            "a blank line between rows",
            t,
            csv([*ROWS[:3], "", *ROWS[3:]]),
            rows=N + 1,
            quarantined={4: ("blank_line:row",)},
        ),
        Case(
            "mostly_malformed",
            "every row has one field too many",
            t,
            csv([r + ",x" for r in ROWS]),
            error="structure:malformed_rows",
        ),
        Case("wide_valid", "unchanged fixed-width delivery", WIDE, wide_dat(), rows=W),
        Case(
            "wide_short_line",
            "a line 3 characters short",
            WIDE,
            wide_dat([WIDE_ROWS[0][:-3], *WIDE_ROWS[1:]]),
            rows=W,
            quarantined={1: ("line_length:row",)},
        ),
        Case(
            "wide_long_line",
            "a line with 2 characters extra",
            WIDE,
            wide_dat([*WIDE_ROWS[:2], WIDE_ROWS[2] + "xx", *WIDE_ROWS[3:]]),
            rows=W,
            quarantined={3: ("line_length:row",)},
        ),
        Case(
            "wide_truncated",
            "file cut inside the last line",
            WIDE,
            wide_dat()[:-12],
            rows=W,
            quarantined={W: ("line_length:row",)},
        ),
        Case("wide_crlf", "CRLF line endings", WIDE, wide_dat(eol="\r\n"), rows=W),
        Case(
            "wide_non_ascii",
            "an accented letter in an ASCII delivery",
            WIDE,
            wide_dat().replace(b"LEE ", "LÉE".encode("latin-1") + b" ", 1),
            error="encoding:undecodable",
        ),
        Case(
            "wide_layout_changed",
            "every line one character longer",
            WIDE,
            wide_dat([r + " " for r in WIDE_ROWS]),
            error="structure:malformed_rows",
        ),
        Case(
            "wide_unknown_code",
            "quarter 5",
            WIDE,
            wide_dat(
                [wide_line("123456789", "LEE", "A", "2019", "5", "E00001", "1"), *WIDE_ROWS[1:]]
            ),
            rows=W,
            quarantined={1: ("code:QTR",)},
        ),
        Case(
            "wide_blank_required",
            "SSN all spaces",
            WIDE,
            wide_dat(
                [
                    *WIDE_ROWS[:1],
                    wide_line("", "RAY", "B", "2019", "2", "E00002", "0"),
                    *WIDE_ROWS[2:],
                ]
            ),
            rows=W,
            quarantined={2: ("not_nullable:SSN",)},
        ),
        Case(
            "wide_wages_text",
            "wages 12.5O (letter O)",
            WIDE,
            wide_dat(
                [*WIDE_ROWS[:-1], wide_line("678912345", "PO", "E", "2021", "2", "E00005", "12.5O")]
            ),
            rows=W,
            quarantined={W: ("numeric:WAGES",)},
        ),
        *_djj_cases(),
        *_idva_cases(),
        *_dceo_cases(),
        *_ides_ui_cases(),
    ]


def _djj_cases() -> list[Case]:
    """The DJJ delivery's own faults: its tab delimiter, CRLF, DATE9 dates, dashed SSN
    and gender digit."""
    d, n = DJJ, len(DJJ_ROWS)
    return [
        Case("djj_valid", "DJJ: unchanged delivery (tab, CRLF, DATE9)", d, djj(), rows=n),
        Case("djj_lf", "DJJ: LF line ends instead of CRLF", d, djj(eol="\n"), rows=n),
        Case(
            "djj_commas",
            "DJJ: commas instead of tabs",
            d,
            djj(sep=","),
            error="header:delimiter",
        ),
        Case(
            "djj_date_lower_case",
            "DJJ: ADM_DT 10apr2017 (month in lower case)",
            d,
            djj(djj_edit(0, ADM_DT="10apr2017")),
            rows=n,
            quarantined={1: ("date_format:ADM_DT",)},
        ),
        Case(
            "djj_date_iso",
            "DJJ: BIRTH_DT 2004-08-21 (ISO, not DATE9)",
            d,
            djj(djj_edit(2, BIRTH_DT="2004-08-21")),
            rows=n,
            quarantined={3: ("date_format:BIRTH_DT",)},
        ),
        Case(
            "djj_no_such_day",
            "DJJ: REL_DT 31SEP2019",
            d,
            djj(djj_edit(2, REL_DT="31SEP2019")),
            rows=n,
            quarantined={3: ("date_value:REL_DT",)},
        ),
        Case(
            "djj_ssn_undashed",
            "DJJ: SSN 318441234 (no dashes)",
            d,
            djj(djj_edit(0, SSN="318441234")),
            rows=n,
            quarantined={1: ("format:SSN",)},
        ),
        Case(
            "djj_gender_letter",
            "DJJ: GENDER M (codes are 1, 2, 9)",
            d,
            djj(djj_edit(3, GENDER="M")),
            rows=n,
            quarantined={4: ("code:GENDER",)},
        ),
        Case(
            "djj_closed_facility_code",
            "DJJ: FACILITY VAL (no such youth centre)",
            d,
            djj(djj_edit(1, FACILITY="VAL")),
            rows=n,
            quarantined={2: ("code:FACILITY",)},
        ),
        Case(
            "djj_stray_tab",
            "DJJ: a tab inside LNAME",
            d,
            djj(djj_edit(3, LNAME="O'\tBRIEN")),
            rows=n,
            quarantined={4: ("field_count:row",)},
        ),
        Case(
            "djj_grain_conflict",
            "DJJ: two differing rows share YOUTH_NO and ADM_DT",
            d,
            djj(djj_edit(1, ADM_DT="10APR2017")),
            rows=n,
            quarantined={1: ("grain_unique:row",), 2: ("grain_unique:row",)},
        ),
    ]


def _idva_cases() -> list[Case]:
    """The IDVA delivery's own faults: its pipe delimiter, CRLF, one-field names, the
    DD-214 dates beside the others, the DoD branch and discharge codes."""
    d, n = IDVA, len(IDVA_ROWS)
    return [
        Case(
            "idva_valid",
            "IDVA: unchanged delivery (pipe, CRLF, two date formats)",
            d,
            idva(),
            rows=n,
        ),
        Case("idva_lf", "IDVA: LF line ends instead of CRLF", d, idva(eol="\n"), rows=n),
        Case(
            "idva_commas",
            "IDVA: commas instead of pipes",
            d,
            idva(sep=","),
            error="header:delimiter",
        ),
        Case(
            "idva_quoted_pipe",
            "IDVA: a pipe inside VET_NAME, the field quoted",
            d,
            idva(idva_edit(3, VET_NAME='"DUNNE|O\'NEIL, PATRICK"')),
            rows=n,
        ),
        Case(
            "idva_stray_pipe",
            "IDVA: a pipe inside VET_NAME, unquoted",
            d,
            idva(idva_edit(3, VET_NAME="DUNNE|O'NEIL, PATRICK")),
            rows=n,
            quarantined={4: ("field_count:row",)},
        ),
        Case(
            "idva_name_without_comma",
            "IDVA: VET_NAME KOWALSKI ANNA MARIE (no comma after the surname)",
            d,
            idva(idva_edit(0, VET_NAME="KOWALSKI ANNA MARIE")),
            rows=n,
            quarantined={1: ("format:VET_NAME",)},
        ),
        Case(
            "idva_dd214_date_as_mmddyyyy",
            "IDVA: EOD_DT 01/05/1970 (MM/DD/YYYY, not the DD-214's YYYYMMDD)",
            d,
            idva(idva_edit(2, EOD_DT="01/05/1970")),
            rows=n,
            quarantined={3: ("date_format:EOD_DT",)},
        ),
        Case(
            "idva_start_as_yyyymmdd",
            "IDVA: START_DT 20080901 (the DD-214's format where MM/DD/YYYY is due)",
            d,
            idva(idva_edit(3, START_DT="20080901")),
            rows=n,
            quarantined={4: ("date_format:START_DT",)},
        ),
        Case(
            "idva_no_such_day",
            "IDVA: RAD_DT 19730231",
            d,
            idva(idva_edit(2, RAD_DT="19730231")),
            rows=n,
            quarantined={3: ("date_value:RAD_DT",)},
        ),
        Case(
            "idva_ssn_dashed",
            "IDVA: SSN 361-02-5577 (dashes)",
            d,
            idva(idva_edit(2, SSN="361-02-5577")),
            rows=n,
            quarantined={3: ("format:SSN",)},
        ),
        Case(
            "idva_branch_spelled_out",
            "IDVA: BRANCH ARMY (the DoD code is A)",
            d,
            idva(idva_edit(0, BRANCH="ARMY")),
            rows=n,
            quarantined={1: ("code:BRANCH",)},
        ),
        Case(
            "idva_character_lower_case",
            "IDVA: CHAR_SVC hon (codes are upper case)",
            d,
            idva(idva_edit(3, CHAR_SVC="hon")),
            rows=n,
            quarantined={4: ("code:CHAR_SVC",)},
        ),
        Case(
            "idva_grain_conflict",
            "IDVA: two differing rows share CLIENT_NO, SVC_TYPE, CLAIM_TYPE and START_DT",
            d,
            idva(idva_edit(1, SVC_TYPE="CL", CLAIM_TYPE="COMP", HOME="", START_DT="05/02/2011")),
            rows=n,
            quarantined={1: ("grain_unique:row",), 2: ("grain_unique:row",)},
        ),
    ]


def _dceo_cases() -> list[Case]:
    """The DCEO delivery's own faults: its CamelCase header, the ISO-8601 timestamps,
    DCEO's PascalCase codes, dollars with cents, commas inside addresses."""
    d, n = DCEO, len(DCEO_ROWS)
    upper = ",".join(c.upper() for c in DCEO.columns)
    return [
        Case("dceo_valid", "DCEO: unchanged delivery (CamelCase, ISO-8601)", d, dceo(), rows=n),
        Case(
            "dceo_bom",
            "DCEO: a UTF-8 byte-order mark before the header (a spreadsheet's export)",
            d,
            b"\xef\xbb\xbf" + dceo(),
            rows=n,
        ),
        Case("dceo_crlf", "DCEO: CRLF line ends", d, dceo(eol="\r\n"), rows=n),
        Case(
            "dceo_header_upper_case",
            "DCEO: the header in upper case (PROGRAMAREA, CLIENTID...)",
            d,
            dceo(header=upper),
            error="header:renamed",
        ),
        Case(
            "dceo_timestamp_space",
            "DCEO: StartDateTime 2023-11-04 09:15:00 (a space, not T)",
            d,
            dceo(dceo_edit(0, StartDateTime="2023-11-04 09:15:00")),
            rows=n,
            quarantined={1: ("date_format:StartDateTime",)},
        ),
        Case(
            "dceo_timestamp_zone",
            "DCEO: StartDateTime 2023-11-06T14:02:00Z (a UTC designator)",
            d,
            dceo(dceo_edit(2, StartDateTime="2023-11-06T14:02:00Z")),
            rows=n,
            quarantined={3: ("date_format:StartDateTime",)},
        ),
        Case(
            "dceo_exit_date_only",
            "DCEO: EndDateTime 2016-07-30 (a date without its time)",
            d,
            dceo(dceo_edit(3, EndDateTime="2016-07-30")),
            rows=n,
            quarantined={4: ("date_format:EndDateTime",)},
        ),
        Case(
            "dceo_no_such_day",
            "DCEO: StartDateTime 2023-11-31T09:15:00",
            d,
            dceo(dceo_edit(1, StartDateTime="2023-11-31T09:15:00")),
            rows=n,
            quarantined={2: ("date_value:StartDateTime",)},
        ),
        Case(
            "dceo_staged_code",
            "DCEO: HeatingSource NATURAL_GAS (the enclave's code, not DCEO's NaturalGas)",
            d,
            dceo(dceo_edit(0, HeatingSource="NATURAL_GAS")),
            rows=n,
            quarantined={1: ("code:HeatingSource",)},
        ),
        Case(
            "dceo_benefit_whole_dollars",
            "DCEO: BenefitAmount 455 (no cents)",
            d,
            dceo(dceo_edit(2, BenefitAmount="455")),
            rows=n,
            quarantined={3: ("format:BenefitAmount",)},
        ),
        Case(
            "dceo_quoted_comma",
            "DCEO: a comma inside StreetAddress, the field quoted",
            d,
            dceo(dceo_edit(2, StreetAddress='"412 OAK AVE, APT 2"')),
            rows=n,
        ),
        Case(
            "dceo_stray_comma",
            "DCEO: a comma inside StreetAddress, unquoted",
            d,
            dceo(dceo_edit(2, StreetAddress="412 OAK AVE, APT 2")),
            rows=n,
            quarantined={3: ("field_count:row",)},
        ),
        Case(
            "dceo_grain_conflict",
            "DCEO: two differing rows share ProgramArea, ClientId and StartDateTime",
            d,
            dceo(dceo_edit(1, ClientId="D06915914")),
            rows=n,
            quarantined={1: ("grain_unique:row",), 2: ("grain_unique:row",)},
        ),
    ]


def _ides_ui_cases() -> list[Case]:
    """The UI claims delivery's own faults: its implied-decimal amounts, zero-padded
    numbers, CCYYMMDD dates, claim system codes."""
    d, n = IDES_UI, len(IDES_UI_ROWS)
    return [
        Case(
            "ides_ui_valid",
            "IDES UI: unchanged delivery (fixed-width, implied decimals)",
            d,
            ides_ui(),
            rows=n,
        ),
        Case(
            "ides_ui_wba_with_point",
            "IDES UI: WBA 0456.00 (a decimal point where it is implied)",
            d,
            ides_ui(ides_ui_edit(0, WBA="0456.00")),
            rows=n,
            quarantined={1: ("format:WBA",)},
        ),
        Case(
            "ides_ui_wba_space_padded",
            "IDES UI: WBA 31200 padded with spaces, not zeros",
            d,
            ides_ui(ides_ui_edit(1, WBA="  31200")),
            rows=n,
            quarantined={2: ("format:WBA",)},
        ),
        Case(
            "ides_ui_weeks_one_digit",
            "IDES UI: WKS_CLMD 9 (one digit, space-padded)",
            d,
            ides_ui(ides_ui_edit(2, WKS_CLMD=" 9")),
            rows=n,
            quarantined={3: ("format:WKS_CLMD",)},
        ),
        Case(
            "ides_ui_dob_mmddyyyy",
            "IDES UI: CLMT_DOB 02211979 (MMDDYYYY, not CCYYMMDD)",
            d,
            ides_ui(ides_ui_edit(3, CLMT_DOB="02211979")),
            rows=n,
            quarantined={4: ("date_value:CLMT_DOB",)},
        ),
        Case(
            "ides_ui_byb_no_such_day",
            "IDES UI: BYB_DT 20190230",
            d,
            ides_ui(ides_ui_edit(1, BYB_DT="20190230")),
            rows=n,
            quarantined={2: ("date_value:BYB_DT",)},
        ),
        Case(
            "ides_ui_unknown_program",
            "IDES UI: PGM UCF (federal employees' UI, not in the extract)",
            d,
            ides_ui(ides_ui_edit(2, PGM="UCF")),
            rows=n,
            quarantined={3: ("code:PGM",)},
        ),
        Case(
            "ides_ui_state_lower_case",
            "IDES UI: STATE il",
            d,
            ides_ui(ides_ui_edit(0, STATE="il")),
            rows=n,
            quarantined={1: ("format:STATE",)},
        ),
        Case(
            "ides_ui_address_overflow",
            "IDES UI: ADDR_LINE 31 characters (every field after it shifted)",
            d,
            ides_ui(ides_ui_edit(0, ADDR_LINE="1234 N MILWAUKEE AVENUE APT 2RR")),
            rows=n,
            quarantined={1: ("line_length:row",)},
        ),
        Case(
            "ides_ui_grain_conflict",
            "IDES UI: two differing claims share CLMT_SSN and BYB_DT",
            d,
            ides_ui(ides_ui_edit(1, CLMT_SSN="318441234", BYB_DT="20200329")),
            rows=n,
            quarantined={1: ("grain_unique:row",), 2: ("grain_unique:row",)},
        ),
    ]


CASES = _cases()

#: run-level cases (need a path, not bytes)
FILE_CASES = [
    ("missing_file", "no file in the landing directory", "file:missing"),
    ("unreadable_file", "a directory where the file should be", "file:unreadable"),
]


def markdown_table() -> str:
    """The corpus as the Markdown table docs/ingestion.md holds."""
    lines = ["| case | delivery | outcome |", "|---|---|---|"]
    for c in CASES:
        lines.append(f"| `{c.name}` | {c.what} | {c.outcome} |")
    for name, what, fault in FILE_CASES:
        lines.append(f"| `{name}` | {what} | error `{fault}` |")
    return "\n".join(lines)
