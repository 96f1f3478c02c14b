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
