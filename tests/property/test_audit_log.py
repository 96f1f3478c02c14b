"""The audit log detects any edit, removal, insertion, reordering or cut tail
(Hypothesis over random logs and random tampering), and two processes appending at
once leave a log that verifies."""

from __future__ import annotations

import json
import multiprocessing

from hypothesis import given, settings
from hypothesis import strategies as st

from enclave.governance.audit import GENESIS, Log

KEY = b"audit-test-key-0123456789abcdef!"

entries = st.lists(
    st.tuples(
        st.sampled_from(["load", "study", "approval", "deidentify"]),
        st.sampled_from(["demo", "reentry", None]),
        st.sampled_from(["persons", "program_spells", "life_events"]),
        st.sampled_from(["ana", "ben", "hfs_steward"]),
    ),
    min_size=1,
    max_size=12,
)


def _write(tmp_path_factory, rows) -> Log:
    log = Log(tmp_path_factory.mktemp("audit"), KEY)
    for action, project, table, user in rows:
        log.append(action, project=project, user=user, what={"table": table})
    return log


def _lines(log: Log) -> list[bytes]:
    return log.path.read_bytes().splitlines()


def _put(log: Log, lines: list[bytes]) -> None:
    log.path.write_bytes(b"".join(line + b"\n" for line in lines))


@settings(max_examples=60, deadline=None)
@given(rows=entries)
def test_an_untouched_log_verifies(tmp_path_factory, rows):
    log = _write(tmp_path_factory, rows)
    verdict = log.verify()
    assert verdict.ok and verdict.entries == len(rows)
    first = json.loads(_lines(log)[0])
    assert first["seq"] == 0 and first["prev"] == GENESIS


@settings(max_examples=120, deadline=None)
@given(
    rows=entries,
    data=st.data(),
    kind=st.sampled_from(["edit", "remove", "insert", "swap", "cut", "duplicate", "forge"]),
)
def test_any_tampering_is_caught_and_located(tmp_path_factory, rows, data, kind):
    log = _write(tmp_path_factory, rows)
    original = _lines(log)
    lines = list(original)
    n = len(lines)
    i = data.draw(st.integers(0, n - 1), label="at")
    if kind == "edit":  # change a field, keep valid JSON
        entry = json.loads(lines[i])
        entry["user"] = entry["user"] + "x"
        lines[i] = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
    elif kind == "remove":
        del lines[i]
    elif kind == "insert":  # a copy of another entry slipped in
        lines.insert(i, lines[data.draw(st.integers(0, n - 1), label="copy")])
    elif kind == "swap":
        j = data.draw(st.integers(0, n - 1), label="with")
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "duplicate":
        lines.append(lines[i])
    elif kind == "forge":  # an entry sealed with another key, chained correctly
        other = Log(log.folder / "other", b"x" * 32)
        other.path.parent.mkdir(parents=True, exist_ok=True)
        other.path.write_bytes(b"".join(line + b"\n" for line in lines))
        other.append("load", project="demo", user="mallory", what={"table": "persons"})
        lines = _lines(other)
    else:  # cut the tail
        lines = lines[:i]
    if lines == original:
        return  # a swap of an entry with itself changes nothing
    # the first entry that differs from the true log (or the first one missing)
    expected = next(
        (k for k, (a, b) in enumerate(zip(lines, original, strict=False)) if a != b),
        min(len(lines), len(original)),
    )
    _put(log, lines)
    verdict = log.verify()
    assert not verdict.ok
    assert verdict.first_bad == expected, (kind, verdict.reason)


def _appender(folder: str, worker: int, count: int) -> None:
    log = Log(__import__("pathlib").Path(folder), KEY)
    for i in range(count):
        log.append("load", project="demo", user=f"w{worker}", what={"table": "persons", "i": i})


def test_two_processes_appending_at_once_leave_a_valid_log(tmp_path):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_appender, args=(str(tmp_path), w, 60)) for w in (1, 2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    log = Log(tmp_path, KEY)
    verdict = log.verify()
    assert verdict.ok and verdict.entries == 120, str(verdict)
    assert sorted(e["seq"] for e in log.entries()) == list(range(120))
