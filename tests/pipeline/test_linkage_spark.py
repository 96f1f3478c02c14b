"""Linkage on Splink's Spark backend (local[2]) against the DuckDB run of the small world.

A model is kept as parameters (the prior and every level's m and u), not as Splink's
saved SQL, which is backend-specific: trained on DuckDB, it scores the same pairs on
Spark. Needs pyspark (``make spark``) and Java 17; skipped, saying which, without.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import logging
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml

from enclave import cli, config
from enclave.config import LinkageParams
from enclave.linkage import backend, model, spark
from enclave.scratch import Scratch
from enclave.testing.pipeline import stage_commands

pytestmark = pytest.mark.slow

try:
    spark.require()
    MISSING = ""
except backend.BackendError as exc:
    MISSING = str(exc)


@pytest.fixture(scope="session")
def spark_session():
    """One local Spark for the module's runs: a session's start costs ~10 s."""
    if MISSING:
        pytest.skip(MISSING)
    with Scratch("sparktest") as scratch:
        session = spark.start_session(threads=2, memory_gb=2.0, scratch=scratch)
        yield session
        session.stop()


@pytest.fixture(scope="module")
def root(small_world_upto):
    return small_world_upto("link")


def _link(root: Path, out: Path, monkeypatch, **linkage) -> int:
    """The world's link stage, as the pipeline calls it, into ``out``, with the
    ``linkage`` parameters changed; its exit code."""
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["linkage"] |= linkage
    params_file = out.parent / "params.yaml"
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
    commands = stage_commands(config.load(params_file), studies=False)
    [argv] = [list(argv) for stage, argv in commands if stage == "link"]
    argv[argv.index("--out") + 1] = str(out)
    monkeypatch.chdir(root)  # the stage's paths are relative to the world's root
    return cli.main([argv[0], "--params", str(params_file), *argv[1:]])


#: random pairs for u in the Spark-trained test (the default is 2,000,000)
U_PAIRS = 500_000


def same_cluster_share(a: pl.DataFrame, b: pl.DataFrame) -> float:
    """Share of records whose cluster is the same set of records in crosswalks ``a``
    and ``b`` (``record_key``, ``person_key``).

    >>> a = pl.DataFrame({"record_key": ["1", "2", "3"], "person_key": ["x", "x", "y"]})
    >>> b = pl.DataFrame({"record_key": ["1", "2", "3"], "person_key": ["p", "q", "q"]})
    >>> same_cluster_share(a, a), same_cluster_share(a, b)
    (1.0, 0.0)
    """
    both = a.select("record_key", pl.col("person_key").alias("a")).join(
        b.select("record_key", pl.col("person_key").alias("b")), on="record_key"
    )
    assert both.height == a.height == b.height
    same = (pl.len().over("a", "b") == pl.len().over("a")) & (
        pl.len().over("a", "b") == pl.len().over("b")
    )
    return both.select(same.mean()).item()


def _crosswalk(zone: Path) -> pl.DataFrame:
    return pl.read_parquet(zone / "crosswalk.parquet", columns=["record_key", "person_key"])


def test_duckdb_trained_model_gives_the_same_clusters_on_spark(
    root, spark_session, tmp_path, monkeypatch
):
    """The link stage on Spark, its model trained on DuckDB and handed over as
    parameters: >= 99.9% of records fall in the same cluster as in the DuckDB run."""
    predict = model.predict

    def trained_on_duckdb(identities, params, notes=None, values=None):
        values = model.fit(identities, dataclasses.replace(params, backend="duckdb"))
        assert params.backend == "spark"
        return predict(identities, params, notes, values=values)

    monkeypatch.setattr(model, "predict", trained_on_duckdb)
    start = time.perf_counter()
    assert _link(root, tmp_path / "linkage", monkeypatch, backend="spark") == 0
    seconds = time.perf_counter() - start
    duckdb_zone = root / "data" / "linkage"
    share = same_cluster_share(_crosswalk(duckdb_zone), _crosswalk(tmp_path / "linkage"))
    pairs = pl.read_parquet(tmp_path / "linkage" / "pairs.parquet")
    same_pairs = pairs.join(
        pl.read_parquet(duckdb_zone / "pairs.parquet"),
        on=["id_l", "id_r", "match_probability"],
    ).height
    print(
        f"\nDuckDB-trained, Spark-scored: {share:.5f} of records in the same cluster;"
        f" {same_pairs} of {pairs.height} scored pairs identical; link stage {seconds:.0f} s"
    )
    assert share >= 0.999


def test_link_stage_runs_on_spark(root, spark_session, tmp_path, monkeypatch):
    """``linkage.backend: spark``: the whole link stage trains and scores on Spark and
    writes the linkage zone the DuckDB run writes.

    u is estimated from a quarter of the default sample: on two cores Spark spends
    about 10 s per comparison on the default's 2M pairs (DuckDB: well under 1 s)."""
    start = time.perf_counter()
    assert _link(root, tmp_path / "linkage", monkeypatch, backend="spark", u_max_pairs=U_PAIRS) == 0
    seconds = time.perf_counter() - start
    duckdb_zone, spark_zone = root / "data" / "linkage", tmp_path / "linkage"
    assert sorted(p.name for p in spark_zone.iterdir()) == sorted(
        p.name for p in duckdb_zone.iterdir()
    )
    for name in ("crosswalk", "family", "pairs", "identity_map"):
        assert pl.read_parquet_schema(spark_zone / f"{name}.parquet") == pl.read_parquet_schema(
            duckdb_zone / f"{name}.parquet"
        ), name
    report = json.loads((spark_zone / "report.json").read_text())
    assert {p["status"] for p in report["training"]["em_passes"]} == {"trained"}
    # trained on Spark, u comes from another, smaller sample (Spark hashes differently),
    # so the model differs slightly from DuckDB's: close, not necessarily identical
    share = same_cluster_share(_crosswalk(duckdb_zone), _crosswalk(spark_zone))
    print(f"\nSpark-trained: {share:.5f} of records in the DuckDB run's cluster; {seconds:.0f} s")
    assert share >= 0.99


def test_without_pyspark_the_stage_stops_in_one_line(root, tmp_path, monkeypatch, caplog):
    """No traceback: one line naming what is missing and how to install it."""
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "pyspark" else find_spec(name, *a),
    )
    with caplog.at_level(logging.ERROR):
        assert _link(root, tmp_path / "linkage", monkeypatch, backend="spark") == 2
    [error] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "needs pyspark" in error and "make spark" in error and "\n" not in error
    assert "Traceback" not in caplog.text and not (tmp_path / "linkage").exists()


def test_without_java_spark_is_refused_in_one_line(monkeypatch):
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed: the missing pyspark is reported first")
    monkeypatch.setenv("JAVA_HOME", "/nonexistent-java-home")
    monkeypatch.delenv(spark.SUBMITTED_ENV, raising=False)
    with pytest.raises(backend.BackendError, match="needs Java 17") as raised:
        backend.make_db_api("spark", 1)
    assert "openjdk-17-jre-headless" in str(raised.value) and "\n" not in str(raised.value)


def test_every_level_runs_on_spark_as_on_duckdb(spark_session):
    """Each level of the model, in Spark's SQL (the DuckDB text would not run there:
    list_has_any, jaro_winkler_similarity, strftime), gives on a few pairs, nulls
    included, the verdicts DuckDB gives."""
    pairs = _level_pairs()
    api = backend.make_db_api("spark", 2)  # registers Splink's similarity functions
    try:
        api.spark.createDataFrame(pairs.to_arrow()).createOrReplaceTempView("level_pairs")
        checked = 0
        duckdb_levels = _levels("duckdb")
        for (name, label, spark_sql), (_, _, duckdb_sql) in zip(
            _levels("spark"), duckdb_levels, strict=True
        ):
            query = "select pair, case when {} then 1 else 0 end as hit from {} order by pair"
            # the way Splink sends SQL to Spark (transpiled to its Spark dialect)
            on_spark = api.spark.sql(
                api._setup_for_execute_sql(query.format(spark_sql, "level_pairs"), "")
            ).toArrow()
            on_duckdb = duckdb.sql(query.format(duckdb_sql, "pairs")).to_arrow_table()
            assert pl.from_arrow(on_spark).equals(pl.from_arrow(on_duckdb)), (name, label)
            checked += 1
    finally:
        backend.close(api)
    assert checked == len(duckdb_levels) >= 30


def _levels(dialect: str) -> list[tuple[str, str, str]]:
    settings = model.settings(LinkageParams()).get_settings(dialect)
    return [
        (c.output_column_name, level.label_for_charts, level.sql_condition)
        for c in settings.comparisons
        for level in c.comparison_levels
        if level.sql_condition != "ELSE"
    ]


#: made-up identity records: one, and the other side of each pair as changes to it
_ONE = {
    "first_name": "ANNA",
    "first_initial": "A",
    "middle_initial": "M",
    "last_name": "SMITH",
    "suffix": "JR",
    "dob": "1980-03-04",
    "sex": "F",
    "ssn": "123456789",
    "ssn4": "6789",
    "zip": "60601",
    "alias_first_name": "ANN",
    "first_equiv": ["ANNA", "ANN"],
    "last_parts": ["SMITH"],
}
_OTHERS = [
    {},
    dict.fromkeys(_ONE),
    {"first_name": "ANAN", "last_name": "SMYTH", "dob": "1980-04-03", "ssn": "123456780"},
    {"first_name": "SMITH", "last_name": "ANNA", "dob": "1980-04-04", "ssn": None},
    {"first_name": "A", "last_name": "SMITH-JONES", "dob": "1980-03-05", "sex": "M"},
    {"first_name": "HANNA", "first_equiv": ["HANNA", "ANNA"], "dob": "1981-03-04"},
    {"first_name": "SMITH", "last_name": "ANAN", "dob": "1979-02-04", "ssn": "987654321"},
    {"first_name": "ZOE", "alias_first_name": None, "first_equiv": ["ZOE"], "dob": "1980-03-14"},
]


def _level_pairs() -> pl.DataFrame:
    rows = [
        {"pair": i}
        | {f"{k}_l": v for k, v in _ONE.items()}
        | {f"{k}_r": v for k, v in (_ONE | other).items()}
        for i, other in enumerate(_OTHERS)
    ]
    return pl.DataFrame(rows).with_columns(pl.col("^dob_.$").str.to_date())
