"""deidentify and build file to file, in slices and pid buckets, give the same tables as
the in-memory core (``deidentify.deidentify``, ``analytic.build``), byte-identical
across reruns."""

from __future__ import annotations

import datetime
import json

import polars as pl
import pytest

from enclave import analytic, io
from enclave.config import BuildParams, DeidParams
from enclave.deid import deidentify
from enclave.deid import stream as deid_stream
from enclave.deid.pseudonym import resolve_master_key
from enclave.testing.deid_zone import make_zone, write_zone

PERSONS = 300
PARAMS = DeidParams(k_min=3)


@pytest.fixture(scope="module")
def key():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENCLAVE_MASTER_KEY", "29" * 32)
        yield resolve_master_key()


@pytest.fixture(scope="module")
def zone():
    return make_zone(PERSONS, seed=5, mix="world")


def in_memory(zone, key):
    """The research zone of the in-memory core, on the same zone."""
    identifiers = pl.concat([f.lazy() for f in zone.identifiers.values()], how="diagonal_relaxed")
    keys = deidentify.ProjectKeys.derive(key, "p")
    return deidentify.deidentify(
        zone.content, identifiers, zone.crosswalk, zone.family, PARAMS, keys
    )


def streamed(root, zone, slice_rows, patch, shuffle=False):
    """``deidentify.run`` on the zone written under ``root``, with small slices."""
    staged, linkage = zone.write(root)
    if shuffle:  # a crosswalk not in record-key order still gives the same zone
        io.write_parquet(zone.crosswalk.sample(fraction=1.0, shuffle=True, seed=3),
                         linkage / "crosswalk.parquet")  # fmt: skip
    patch.setattr(deid_stream, "SLICE_ROWS", slice_rows)
    base, report = root / "base", root / "risk.json"
    deidentify.run("p", PARAMS, staged, linkage, root, base, report)
    return base, report


@pytest.mark.parametrize(("slice_rows", "shuffle"), [(997, False), (5000, True)])
def test_streamed_zone_equals_the_in_memory_zone(tmp_path, zone, key, slice_rows, shuffle):
    expected = in_memory(zone, key)
    with pytest.MonkeyPatch.context() as patch:
        base, report = streamed(tmp_path, zone, slice_rows, patch, shuffle)
    for name, frame in expected.tables.items():
        assert pl.read_parquet(base / f"{name}.parquet").equals(frame), name
    assert sorted(p.name for p in base.iterdir()) == sorted(f"{n}.parquet" for n in expected.tables)
    risk = json.loads(report.read_text())
    assert {k: v for k, v in risk.items() if k != "project"} == json.loads(
        json.dumps(expected.risk, default=str)
    )


def test_streamed_zone_is_byte_identical_across_runs(tmp_path, zone, key):
    runs = []
    for name in ("a", "b"):
        with pytest.MonkeyPatch.context() as patch:
            base, _ = streamed(tmp_path / name, zone, 7000, patch)
        runs.append({p.name: p.read_bytes() for p in sorted(base.iterdir())})
    assert runs[0] == runs[1]


def test_bucketed_build_equals_one_in_memory_build(tmp_path, zone, key):
    with pytest.MonkeyPatch.context() as patch:
        base, _ = streamed(tmp_path, zone, 4000, patch)
    tables = {a: pl.read_parquet(base / f"{a}.parquet") for a in zone.content}
    expected = analytic.build(
        BuildParams(),
        tables,
        pl.read_parquet(base / "demographics.parquet"),
        pl.read_parquet(base / "family_links.parquet"),
    )
    for buckets in (1, 16):
        out = tmp_path / f"analytic{buckets}"
        analytic.run(BuildParams(), base, out, buckets=buckets)
        for name, frame in expected.items():
            assert pl.read_parquet(out / f"{name}.parquet").equals(frame), (buckets, name)


def test_pid_buckets_tile_the_hex_space_in_order():
    buckets = analytic.pid_buckets(16)
    pids = pl.DataFrame({"pid": ["0" * 16, "0f" + "0" * 14, "1" + "0" * 15, "f" * 16]})
    owners = [
        [i for i, b in enumerate(buckets) if pids.filter(analytic.in_bucket("pid", b)).height
         and pid in pids.filter(analytic.in_bucket("pid", b)).get_column("pid").to_list()]
        for pid in pids.get_column("pid")
    ]  # fmt: skip
    assert owners == [[0], [0], [1], [15]]
    assert analytic.pid_buckets(1) == [(None, None)]
    with pytest.raises(ValueError):
        analytic.pid_buckets(10)


def test_blockwise_zone_writes_sorted_files_with_the_world_density(tmp_path):
    counts = write_zone(900, tmp_path, seed=2, mix="world", block=400)
    crosswalk = pl.read_parquet(tmp_path / "linkage" / "crosswalk.parquet")
    keys = crosswalk.get_column("record_key")
    assert keys.is_sorted() and keys.n_unique() == keys.len() == sum(counts.values())
    assert crosswalk.get_column("person_key").n_unique() <= 900
    assert 60 <= sum(counts.values()) / 900 <= 85  # the staged world: about 73 a person
    assert counts["ides"] > counts["idhs"] > counts["isbe"] > counts["hfs"]
    for agency, n in counts.items():
        content = pl.read_parquet(tmp_path / "staged" / agency / "content.parquet")
        assert content.height == n and content.get_column("record_key").is_sorted()


def test_an_agency_without_linked_records_gives_an_empty_table(tmp_path, zone, key):
    unlinked = pl.col("record_key").str.starts_with("idoc-")
    thinned = type(zone)(
        zone.identifiers, zone.content, zone.crosswalk.filter(~unlinked), zone.family
    )
    expected = in_memory(thinned, key)
    with pytest.MonkeyPatch.context() as patch:
        base, report = streamed(tmp_path, thinned, 3000, patch)
    table = pl.read_parquet(base / "idoc.parquet")
    assert table.is_empty() and table.equals(expected.tables["idoc"])
    risk = json.loads(report.read_text())
    assert risk["records_without_link"]["idoc"] == zone.content["idoc"].height


def test_a_period_gives_the_same_zone_whether_identifiers_align_with_content(tmp_path, zone, key):
    """With a study period, the demographics come from the records in it: found by the
    content's period mask row for row where the identifier file holds the content's
    records in the same order (as staged files do), and by key where it does not."""
    period = (datetime.date(2019, 1, 1), datetime.date(2020, 12, 31))
    scope = deidentify.Scope(period=period)
    zones = {}
    for name, reorder in (("aligned", False), ("reordered", True)):
        root = tmp_path / name
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(deid_stream, "SLICE_ROWS", 3000)
            staged, linkage = zone.write(root)
            if reorder:
                for agency, frame in zone.identifiers.items():
                    io.write_parquet(frame.reverse(), staged / agency / "identifiers.parquet")
            base, report = root / "base", root / "risk.json"
            deidentify.run("p", PARAMS, staged, linkage, root, base, report, scope=scope)
        zones[name] = {p.name: p.read_bytes() for p in sorted(base.iterdir())}
        zones[name]["risk"] = report.read_bytes()
    assert zones["aligned"] == zones["reordered"]
    with pytest.MonkeyPatch.context() as patch:  # the period did keep some records out
        whole, _ = streamed(tmp_path / "whole", zone, 3000, patch)
    people = pl.read_parquet(whole / "demographics.parquet").height
    in_period = pl.read_parquet(tmp_path / "aligned" / "base" / "demographics.parquet").height
    assert 0 < in_period < people
