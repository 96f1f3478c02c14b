"""When a project's kept records take a month in, and when the run is full instead
(``enclave.deid.kept.previous``)."""

from __future__ import annotations

import copy

import pytest

from enclave import io
from enclave.deid import kept

EXTRACT = {"hfs": {"extract": "a:f"}, "idhs": {"extract": "b:f"}}
LINKED = {"data/staged/hfs/identifiers.parquet": "1", "data/staged/idhs/identifiers.parquet": "2"}
MONTH_FILE = "data/staged/idhs/2024-12/identifiers.parquet"


def state(deliveries=EXTRACT, inputs=LINKED, monthly=(), fingerprint="F", link="L") -> dict:
    return {
        "fingerprint": fingerprint,
        "deliveries": copy.deepcopy(deliveries),
        "linkage": {"fingerprint": link, "inputs": dict(inputs), "monthly": list(monthly)},
    }


def with_month(**changes) -> dict:
    deliveries = copy.deepcopy(EXTRACT)
    deliveries["idhs"]["2024-12"] = "c:f"
    now = state(deliveries, {**LINKED, MONTH_FILE: "3"}, [[MONTH_FILE]])
    for key, value in changes.items():
        now[key] = value
    return now


@pytest.fixture
def folder(tmp_path):
    kept.save(tmp_path, state() | {"linked": {}}, run=0)
    return tmp_path


def test_a_month_linked_alone_is_folded_in(folder):
    prior = kept.previous(folder, with_month())
    assert prior is not None and prior.new == {"idhs": ["2024-12"]} and prior.run == 1


def test_nothing_new_is_folded_in_as_nothing(folder):
    prior = kept.previous(folder, state())
    assert prior is not None and prior.new == {}


def test_two_months_linked_one_at_a_time_are_folded_in_together(folder):
    later = "data/staged/idhs/2025-01/identifiers.parquet"
    now = with_month()
    now["deliveries"]["idhs"]["2025-01"] = "d:f"
    now["linkage"]["inputs"][later] = "4"
    now["linkage"]["monthly"] = [[MONTH_FILE], [later]]
    assert kept.previous(folder, now).new == {"idhs": ["2024-12", "2025-01"]}


@pytest.mark.parametrize(
    "change",
    [
        "other parameters, code or key",
        "an extract staged again",
        "a new extract, not a month",
        "the month linked with everything",
        "linkage code changed",
        "a linked file changed",
        "another agency",
    ],
)
def test_anything_but_new_months_linked_alone_runs_in_full(folder, change):
    now = with_month()
    if change == "other parameters, code or key":
        now["fingerprint"] = "G"
    elif change == "an extract staged again":
        now["deliveries"]["hfs"]["extract"] = "z:f"
    elif change == "a new extract, not a month":
        now["deliveries"]["hfs"]["extra"] = "y:f"
    elif change == "the month linked with everything":
        now["linkage"]["monthly"] = []
    elif change == "linkage code changed":
        now["linkage"]["fingerprint"] = "M"
    elif change == "a linked file changed":
        now["linkage"]["inputs"]["data/staged/hfs/identifiers.parquet"] = "9"
    elif change == "another agency":
        now["deliveries"]["aging"] = {"extract": "e:f"}
    assert kept.previous(folder, now) is None


def test_a_state_that_cannot_be_read_runs_in_full(folder):
    (folder / kept.STATE).write_text("{not json")
    assert kept.previous(folder, with_month()) is None
    io.write_json({"fingerprint": "F"}, folder / kept.STATE)
    assert kept.previous(folder, with_month()) is None
