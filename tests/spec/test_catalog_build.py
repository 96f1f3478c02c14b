"""The data dictionary documents every contract field, the identifier and content
schemas, and any extra models passed in, in Markdown and HTML, deterministically."""

from __future__ import annotations

import pandera.polars as pa

from enclave import contracts
from enclave import dictionary as catalog
from enclave.contracts import StagedIdentifiers


class Extra(pa.DataFrameModel):
    """An analytic table <with> markup in its summary."""

    pid: str = pa.Field(unique=True, description="pseudonym <pid> & more")
    score: float = pa.Field(nullable=True, in_range={"min_value": 0, "max_value": 1})


def test_every_contract_field_is_documented():
    markdown = catalog.to_markdown(catalog.build(extra={}))
    for contract in contracts.ALL.values():
        assert f"`{contract.filename}`" in markdown
        assert contract.grain in markdown
        schema = contract.raw.to_schema()
        for name, column in schema.columns.items():
            nullable = "yes" if column.nullable else "no"
            row = f"| `{name}` | {column.dtype} | {nullable} |"
            assert row in markdown, name
            assert column.description and column.description.replace("<", "&lt;") in markdown
        for name in contract.content.to_schema().columns:
            assert f"| `{name}` |" in markdown
    for name in StagedIdentifiers.to_schema().columns:
        assert f"| `{name}` |" in markdown


def test_checks_are_readable():
    hfs = catalog.contract_tables(contracts.get("hfs"))[0]
    checks = {f.name: f.checks for f in hfs.fields}
    assert checks["RECIP_ID"] == r"matches ^\d{9}$"
    assert checks["SEX_CD"] == "one of M, F, U"
    assert checks["BIRTH_DT"].startswith("date %Y%m%d; in 1900-01-01..")
    ids = {f.name: f.checks for f in catalog.describe(StagedIdentifiers, "ids").fields}
    assert ids["sex"] == "isin(allowed_values=F, M)" and ids["record_key"] == "unique"


def test_extra_models_are_added_and_escaped():
    sections = catalog.build(contracts={}, extra={"Analytic tables": {"scores": Extra}})
    assert [s.title for s in sections] == ["Standard identifier table", "Analytic tables"]
    markdown, page = catalog.to_markdown(sections), catalog.to_html(sections)
    assert "| `score` | Float64 | yes | `in_range(min_value=0, max_value=1)` |" in markdown
    assert "pseudonym &lt;pid&gt; &amp; more" in page and "<pid>" not in page
    assert "<with>" not in page


def test_analytic_schemas_are_included_when_present():
    titles = [s.title for s in catalog.build()]
    try:
        from enclave.analytic.schemas import MODELS
    except ImportError:
        assert "Analytic tables" not in titles
    else:
        tables = next(s for s in catalog.build() if s.title == "Analytic tables").tables
        assert [t.title for t in tables] == list(MODELS)


def test_run_writes_markdown_and_html_deterministically(tmp_path):
    catalog.run(tmp_path / "a")
    catalog.run(tmp_path / "b")
    for name in ("index.md", "index.html"):
        first = (tmp_path / "a" / name).read_bytes()
        assert first == (tmp_path / "b" / name).read_bytes()
        assert b"hfs_medicaid_elig.csv" in first
