"""The output checker against an adversarial corpus: each attempt to let a person out is
blocked with a reason code naming the file and the cell; honest safe outputs pass.

Notebooks are built with nbformat as a kernel would have written them (no kernel runs
here), so each case is exactly the output it names.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import polars as pl
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from enclave.disclosure import checker, protect_1d, protect_2d, rules, safe
from enclave.disclosure.text import share_sentence
from enclave.governance.agreement import DisclosureRules

RULES = DisclosureRules(min_cell=11, min_group=20)


def _notebook(folder: Path, *outputs: dict, name: str = "study.ipynb") -> Path:
    nb = new_notebook()
    nb.cells = [new_code_cell(f"cell_{i}()", outputs=[o]) for i, o in enumerate(outputs)]
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(nb, path)
    return path


def _printed(text: str) -> dict:
    return new_output("stream", name="stdout", text=text)


def _shown(data: dict) -> dict:
    return new_output("display_data", data=data)


def _codes(report: checker.Report, file: str | None = None) -> set[str]:
    return {f.code for f in report.findings if file is None or f.file == file}


def _forged(kind: str, dims, columns, rows, **rules) -> dict:
    record = {"min_cell": 11, "min_group": 20, "rounding": "none", "parties": [], **rules}
    cert = safe.Certificate(kind, "forged", tuple(dims), tuple(columns), rows, record, ())
    return {"text/plain": "", safe.MIME: cert.to_json()}


def _check(folder: Path, rules: DisclosureRules = RULES) -> checker.Report:
    return checker.check(folder, rules, allowed_dates={"2019-01-01", "2019-12-31"})


# --------------------------------------------------------------------------- the corpus


def test_a_printed_count_of_three_is_blocked(tmp_path):
    _notebook(tmp_path, _printed("persons in the smallest county: 3\n"))
    report = _check(tmp_path)
    (finding,) = [f for f in report.findings if f.code == "small_count"]
    assert finding.file == "study.ipynb" and finding.where.startswith("cell 1 (id c0)")
    assert "3" not in finding.message.replace("11", "")  # the value is never quoted


def test_a_frame_of_person_rows_is_blocked(tmp_path):
    persons = pl.DataFrame(
        {
            "pid": ["0000936b7255f871", "000192337bf8211d"],
            "birth_date": ["1987-03-14", "1990-11-02"],
            "earnings": [41234.5, 388.0],
        }
    )
    _notebook(
        tmp_path,
        new_output(
            "execute_result",
            data={"text/plain": repr(persons), "text/html": persons._repr_html_()},
            execution_count=1,
        ),
    )
    (tmp_path / "tables").mkdir()
    persons.write_csv(tmp_path / "tables" / "persons.csv")
    report = _check(tmp_path)
    assert {"uncertified_table", "pseudonym", "exact_date"} <= _codes(report, "study.ipynb")
    assert {"uncertified_table", "person_rows", "exact_date"} <= _codes(
        report, "tables/persons.csv"
    )


@pytest.mark.parametrize(
    "text",
    [
        "97.3% of SNAP recipients in the county are also on Medicaid",  # reveals a small cell
        "mean quarterly earnings of the two youngest: 41234.5",  # a mean over 2 people
        "highest quarterly earnings: 98,000",  # a maximum
    ],
)
def test_a_number_printed_outside_the_helpers_is_blocked(tmp_path, text):
    _notebook(tmp_path, _printed(text))
    assert "uncertified_number" in _codes(_check(tmp_path))


def test_a_mean_over_two_people_in_a_certificate_is_blocked(tmp_path):
    cert = _forged("magnitude", ["group"], ["group", "persons", "mean"], (("a", 2, 41234.5),))
    _notebook(tmp_path, _shown(cert))
    codes = _codes(_check(tmp_path))
    assert {"small_group_statistic", "small_count"} <= codes


def test_a_dominated_magnitude_table_written_by_hand_is_blocked(tmp_path):
    (tmp_path / "tables").mkdir(parents=True)
    pl.DataFrame({"industry": ["mining", "retail"], "earnings": [9_800_000, 1_200_000]}).write_csv(
        tmp_path / "tables" / "earnings.csv"
    )
    assert "uncertified_table" in _codes(_check(tmp_path), "tables/earnings.csv")


def test_a_two_way_table_with_a_cell_given_by_its_margins_is_blocked(tmp_path):
    # primary suppression only: the hidden cell is its row total minus the other cell
    rows = (
        ("a", "x", None),
        ("a", "y", 40),
        ("a", "Total", 45),
        ("b", "x", 30),
        ("b", "y", 30),
        ("b", "Total", 60),
        ("Total", "x", 35),
        ("Total", "y", 70),
        ("Total", "Total", 105),
    )
    cert = _forged("counts", ["r", "c"], ["r", "c", "n"], rows)
    _notebook(tmp_path, _shown(cert))
    report = _check(tmp_path)
    disclosed = [f for f in report.findings if f.code == "disclosed_cell"]
    assert disclosed and disclosed[0].file == "study.ipynb"
    assert "cell (a, x)" in disclosed[0].where


def test_two_tables_of_the_same_persons_that_together_reveal_a_cell_are_blocked(tmp_path):
    # alone, each is safe: the 1-D table hides a cell and its total; the 2-D table hides
    # two interior cells. Together the 2-D column total gives the 1-D cell away.
    one = _forged(
        "counts",
        ["c"],
        ["c", "n"],
        (("x", None), ("y", 70), ("Total", None)),
    )
    two_rows = (
        ("a", "x", None),
        ("a", "y", None),
        ("a", "Total", 45),
        ("b", "x", None),
        ("b", "y", None),
        ("b", "Total", 60),
        ("Total", "x", 35),
        ("Total", "y", 70),
        ("Total", "Total", 105),
    )
    two = _forged("counts", ["r", "c"], ["r", "c", "n"], two_rows)
    for bundle in (one, two):
        bundle[safe.MIME]["definition"] = {"measure": "persons", "population": "p", "period": ""}
    _notebook(tmp_path, _shown(one))
    alone = _check(tmp_path)
    assert "disclosed_cell" not in _codes(alone)
    _notebook(tmp_path, _shown(one), _shown(two))
    together = _check(tmp_path)
    assert "disclosed_cell" in _codes(together)


def test_a_certificate_with_a_lowered_rule_is_blocked(tmp_path):
    cert = _forged("counts", ["k"], ["k", "n"], (("a", 3), ("b", 40), ("Total", 43)), min_cell=1)
    _notebook(tmp_path, _shown(cert))
    assert {"rule_lowered", "small_count"} <= _codes(_check(tmp_path))


def test_unrounded_counts_are_blocked_where_the_agreement_rounds(tmp_path):
    table = protect_1d(pl.DataFrame({"k": ["a", "b"], "n": [23, 41]}), "k", min_cell=11)
    _notebook(tmp_path, _shown(table._repr_mimebundle_()))
    assert _check(tmp_path).passed
    rounded = DisclosureRules(min_cell=11, min_group=20, rounding="base5")
    assert {"unrounded_count", "rule_lowered"} <= _codes(_check(tmp_path, rounded))


def test_a_display_altered_after_protection_is_blocked(tmp_path):
    table = protect_1d(pl.DataFrame({"k": ["a", "b"], "n": [23, 41]}), "k", min_cell=11)
    bundle = table._repr_mimebundle_()
    bundle["text/html"] = bundle["text/html"].replace("[c]", "3", 1)
    _notebook(tmp_path, _shown(bundle))
    assert "not_in_certificate" in _codes(_check(tmp_path))


def test_a_table_file_changed_after_protection_is_blocked(tmp_path):
    table = protect_1d(pl.DataFrame({"k": ["a", "b"], "n": [5, 41]}), "k", min_cell=11)
    path = table.write_csv(tmp_path / "tables" / "t.csv")
    assert _check(tmp_path).passed
    path.write_text(path.read_text().replace(",,true", ",5,true", 1))
    assert "not_in_certificate" in _codes(_check(tmp_path), "tables/t.csv")


def test_figures_and_files_not_from_a_helper_are_blocked(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.bar([0, 1], [3, 40])
    (tmp_path / "figures").mkdir()
    fig.savefig(tmp_path / "figures" / "bars.png")
    plt.close(fig)
    pl.DataFrame({"a": [1]}).write_parquet(tmp_path / "rows.parquet")
    report = _check(tmp_path)
    assert "uncertified_figure" in _codes(report, "figures/bars.png")
    assert "file_type" in _codes(report, "rows.parquet")


# --------------------------------------------------------------------------- honest outputs


class _Terms:
    """An agreement whose strictest rules are :data:`RULES`, as if a load had been made."""

    def strictest(self, parties):
        return RULES


def test_safe_outputs_pass(tmp_path):
    """Tables, margins of the same persons and a share sentence from the helpers pass,
    displayed and saved; the study's period dates may be shown."""
    rules.note_read(_Terms(), ["hfs"])
    counts = pl.DataFrame(
        {"r": ["a", "a", "b", "b"], "c": ["x", "y", "x", "y"], "n": [5, 40, 30, 30]}
    )
    margin = counts.group_by("c").agg(pl.col("n").sum())
    one = protect_1d(margin, "c", min_cell=11, levels=["x", "y"], population="p")
    two = protect_2d(counts, "r", "c", min_cell=11, col_margins=one, population="p")
    sentence = share_sentence(one, "y", "Share in y")
    _notebook(
        tmp_path,
        _shown(one._repr_mimebundle_()),
        _shown(two._repr_mimebundle_()),
        _shown(sentence._repr_mimebundle_()),
        _printed("Reference period: 2019-01-01 to 2019-12-31\n"),
    )
    one.write_csv(tmp_path / "tables" / "one.csv")
    two.write_csv(tmp_path / "tables" / "two.csv")
    report = _check(tmp_path)
    assert report.passed, [str(f) for f in report.findings]
    assert len(report.certificates) == 5
    written = json.loads(json.dumps(report.to_json()))
    assert written["passed"] is True and written["rules"]["min_cell"] == 11


def test_a_missing_folder_is_an_error_not_a_pass(tmp_path):
    from enclave.disclosure.rules import DisclosureError

    with pytest.raises(DisclosureError, match="no such output folder"):
        _check(tmp_path / "absent")
