"""Two toy contracts (one delimited, one fixed-width) and small valid deliveries for
the ingestion tests, built with the same column helpers as the real contracts."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from enclave.config import IngestParams
from enclave.contracts.base import (
    Contract,
    Delimited,
    FixedWidth,
    RawModel,
    conform_identifiers,
    keyed,
    parse_date,
    text,
    trimmed,
)

PARAMS = IngestParams()


class ToyFields(RawModel):
    """The columns of the delimited toy extract, without a grain check."""

    PID: str = text("person id", pattern=r"^\d{6}$")
    FIRST: str = text("first name", nullable=True)
    LAST: str = text("last name", nullable=True)
    DOB: str = text(
        "birth date", nullable=True, date="%Y%m%d", date_range=("1900-01-01", "2030-12-31")
    )
    SEX: str = text("sex", nullable=True, codes=("M", "F", "U"))
    SSN: str = text("ssn", nullable=True, pattern=r"^\d{9}$")
    START: str = text("start", date="%Y%m%d", date_range=("1990-01-01", "2030-12-31"))
    CAT: str = text("category", codes=("A", "B", "C"))
    AMOUNT: str = text("amount", nullable=True, minimum=0)

    class Config:
        strict = True


class ToyRaw(ToyFields):
    """A delimited toy extract, its grain checked by a custom frame check."""

    @pa.dataframe_check(name="grain_unique")
    @classmethod
    def grain(cls, data) -> pl.LazyFrame:
        """Rows sharing PID and START must be exact repeats (a row-wise frame check)."""
        per_grain = pl.len().over("PID", "START")
        per_row = pl.len().over(
            [pl.col(c).fill_null("") for c in data.lazyframe.collect_schema().names()]
        )
        return data.lazyframe.select(per_grain == per_row)


class ToyContent(pa.DataFrameModel):
    record_key: str = pa.Field(unique=True)
    agency: str = pa.Field(isin=["toy", "toyl"])
    start: pl.Date
    category: str = pa.Field(isin=["A", "B", "C"])
    amount: float = pa.Field(nullable=True, le=1e6)

    class Config:
        strict = True


def _toy_standardise(raw: pl.LazyFrame, agency: str = "toy") -> tuple[pl.LazyFrame, pl.LazyFrame]:
    ids = keyed(
        raw,
        agency,
        trimmed("PID").alias("agency_id"),
        trimmed("FIRST").alias("first_name"),
        trimmed("LAST").alias("last_name"),
        parse_date(pl.col("DOB"), "%Y%m%d").alias("dob"),
        pl.col("SEX").replace_strict({"M": "M", "F": "F"}, default=None).alias("sex"),
        trimmed("SSN").alias("ssn"),
    )
    content = keyed(
        raw,
        agency,
        parse_date(pl.col("START"), "%Y%m%d").alias("start"),
        pl.col("CAT").alias("category"),
        pl.col("AMOUNT").cast(pl.Float64).alias("amount"),
    )
    return conform_identifiers(ids), content


TOY = Contract(
    agency="toy",
    agency_name="Toy Agency",
    extract="toy spans",
    grain="span",
    filename="toy.csv",
    layout=Delimited(delimiter=",", encoding="utf-8"),
    raw=ToyRaw,
    content=ToyContent,
    standardise=_toy_standardise,
)

TOY_PIPE_LATIN = Contract(
    agency="toyl",
    agency_name="Toy Latin Agency",
    extract="toy spans",
    grain="span",
    filename="toyl.txt",
    layout=Delimited(delimiter="|", encoding="cp1252"),
    raw=ToyRaw,
    content=ToyContent,
    standardise=lambda raw: _toy_standardise(raw, "toyl"),
)

HEADER = ",".join(TOY.columns)
ROWS = [
    "000001,Ann,Lee,19800102,F,123456789,20190101,A,10.5",
    "000002,Bob,Ray,19751231,M,,20190201,B,0",
    "000003,José,Núñez,20010615,M,987654321,20200301,C,",
    "000004,Cy,Fox,,U,,20180101,A,99",
    "000005,Di,Ox,19990909,F,111223333,20210505,B,1",
    "000006,Ed,Po,19600101,M,222334444,20220101,C,2",
    "000007,Flo,Ng,19700707,F,,20230303,A,3",
    "000008,Gus,Yu,19880808,M,333445555,20190909,B,4",
]


def toy_csv(rows: list[str] | None = None, header: str = HEADER, eol: str = "\n") -> bytes:
    """A toy delivery: header plus rows, each line ended by ``eol``."""
    lines = [header, *(ROWS if rows is None else rows)]
    return "".join(line + eol for line in lines).encode("utf-8")


# --------------------------------------------------------------------------- fixed width


class WideRaw(RawModel):
    """A fixed-width toy extract."""

    SSN: str = text("ssn", pattern=r"^\d{9}$", width=9)
    LAST: str = text("last name", nullable=True, width=10)
    FIRST: str = text("first initial", nullable=True, width=1)
    YEAR: str = text("year", pattern=r"^\d{4}$", width=4)
    QTR: str = text("quarter", codes=("1", "2", "3", "4"), width=1)
    EMPLOYER: str = text("employer", pattern=r"^E\d{5}$", width=6)
    WAGES: str = text("wages in cents", minimum=0, width=9)

    class Config:
        strict = True


class WideContent(pa.DataFrameModel):
    record_key: str = pa.Field(unique=True)
    agency: str = pa.Field(isin=["wide"])
    year: pl.Int32
    quarter: pl.Int8 = pa.Field(in_range={"min_value": 1, "max_value": 4})
    employer_id: str
    wages: float = pa.Field(ge=0)

    class Config:
        strict = True


def _wide_standardise(raw: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    ids = keyed(
        raw,
        "wide",
        trimmed("SSN").alias("ssn"),
        trimmed("LAST").alias("last_name"),
        trimmed("FIRST").alias("first_name"),
    )
    content = keyed(
        raw,
        "wide",
        pl.col("YEAR").cast(pl.Int32).alias("year"),
        pl.col("QTR").cast(pl.Int8).alias("quarter"),
        pl.col("EMPLOYER").alias("employer_id"),
        (pl.col("WAGES").cast(pl.Float64) / 100).alias("wages"),
    )
    return conform_identifiers(ids), content


WIDE = Contract(
    agency="wide",
    agency_name="Wide Agency",
    extract="wages",
    grain="person-quarter-employer",
    filename="wide.dat",
    layout=FixedWidth(encoding="ascii"),
    raw=WideRaw,
    content=WideContent,
    standardise=_wide_standardise,
)

WIDTHS = [9, 10, 1, 4, 1, 6, 9]


def wide_line(*values: str) -> str:
    """One fixed-width line: values left-aligned in their widths."""
    return "".join(v.ljust(w) for v, w in zip(values, WIDTHS, strict=True))


WIDE_ROWS = [
    wide_line("123456789", "LEE", "A", "2019", "1", "E00001", "125000"),
    wide_line("234567891", "RAY", "B", "2019", "2", "E00002", "0"),
    wide_line("345678912", "", "", "2020", "3", "E00003", "99"),
    wide_line("456789123", "FOX", "C", "2020", "4", "E00001", "1000000"),
    wide_line("567891234", "OX", "D", "2021", "1", "E00004", "5"),
    wide_line("678912345", "PO", "E", "2021", "2", "E00005", "7"),
]


def wide_dat(rows: list[str] | None = None, eol: str = "\n") -> bytes:
    """A fixed-width toy delivery."""
    return "".join(line + eol for line in (WIDE_ROWS if rows is None else rows)).encode("ascii")
