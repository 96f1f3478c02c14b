"""The committed study notebook is thin, parameterised, and has no outputs."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from enclave import config

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "service_overlap.ipynb"


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_committed_without_outputs(nb):
    for cell in code_cells(nb):
        assert cell.outputs == []
        assert cell.execution_count is None
        assert "papermill" not in cell.metadata and "execution" not in cell.metadata
    assert "papermill" not in nb.metadata


def test_first_code_cell_is_the_parameters_cell_matching_params_yaml(nb):
    first = code_cells(nb)[0]
    assert first.metadata.get("tags") == ["parameters"]
    values: dict = {}
    exec(first.source, {}, values)  # the cell is plain assignments
    params = config.load(REPO / "params.yaml")
    expected = config.to_mapping(params.studies.service_overlap)
    expected["min_cell"] = params.disclosure.min_cell
    expected["output_dir"] = None
    assert values == expected


def test_no_definitions_and_only_enclave_imports(nb):
    for cell in code_cells(nb):
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
            )
            if isinstance(node, ast.Import):
                pytest.fail("plain imports: use `from enclave... import ...`")
            if isinstance(node, ast.ImportFrom):
                assert node.module.split(".")[0] == "enclave"


def test_cell_ids_are_stable_names(nb):
    ids = [c.id for c in nb.cells]
    assert len(set(ids)) == len(ids)
    assert all(i.replace("-", "").isalpha() for i in ids)


def test_prose_states_question_method_and_limitations(nb):
    prose = " ".join(" ".join(c.source for c in nb.cells if c.cell_type == "markdown").split())
    prose = prose.lower()
    for topic in ("question", "method", "match probability", "disclosure", "limitations"):
        assert topic in prose
