"""Splink on Spark: the session, where its temporary files go, and tables in and out.

Spark takes the pairwise work of linkage (blocking, comparisons, training, scoring);
collapsing to identity records, clustering and keys stay in polars on the driver.
The session comes from the first of:

* a session already active in the process (a notebook, a test's fixture): used as it
  is, left running;
* Spark's own configuration, when the process has one: run by ``spark-submit``
  (``PYSPARK_GATEWAY_PORT``) or given ``spark-submit`` options in
  ``PYSPARK_SUBMIT_ARGS`` (a properties file naming a cluster's master): the cluster's
  settings, which must add Splink's jar to ``spark.jars`` and set
  ``spark.checkpoint.dir`` to storage every executor reaches (docs/scale.md);
* else a local session on ``linkage.threads`` cores (:func:`local_settings`): few
  shuffle partitions, no console progress or web UI, the JVM's console log off (a
  Spark error message can quote a value), and every file Spark writes (shuffle
  spill, checkpoints) in one private :class:`enclave.scratch.Scratch` directory
  removed with the run, since those files hold identifier pairs.

Splink's lineage-breaking tables go to a run directory under the session's
checkpoint directory, deleted at the end of the run. pyspark is an optional extra
(``make spark``): :func:`require` says in one line what is missing before anything
imports it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import uuid
import weakref
from pathlib import Path

import polars as pl

from enclave.linkage.backend import BackendError
from enclave.scratch import Scratch

#: shuffle partitions of a local session (Spark's default of 200 made the small world
#: four times slower on two cores)
LOCAL_SHUFFLE_PARTITIONS = 8

#: set by ``spark-submit`` for the Python program it runs: the JVM and its settings
#: (master, memory, jars) exist already
SUBMITTED_ENV = "PYSPARK_GATEWAY_PORT"
#: ``spark-submit`` options for a plain Python program that starts Spark (pyspark's own)
SUBMIT_ARGS_ENV = "PYSPARK_SUBMIT_ARGS"

INSTALL = "install it with `make spark` (the enclave[spark] extra, requirements/spark.txt)"


def require() -> None:
    """Raise a one-line :class:`~enclave.linkage.backend.BackendError` if pyspark or
    Java is missing."""
    if importlib.util.find_spec("pyspark") is None:
        raise BackendError(f"linkage backend 'spark' needs pyspark, not installed: {INSTALL}")
    if SUBMITTED_ENV not in os.environ and _java() is None:  # else the JVM runs already
        raise BackendError(
            "linkage backend 'spark' needs Java 17 and finds no `java` (JAVA_HOME or PATH):"
            " install Debian's openjdk-17-jre-headless (`make tools` as root)"
        )


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home:  # pyspark starts $JAVA_HOME/bin/java when JAVA_HOME is set
        return str(Path(home) / "bin" / "java") if (Path(home) / "bin" / "java").exists() else None
    return shutil.which("java")


def local_settings(threads: int, scratch: Path, memory_gb: float) -> dict[str, str]:
    """The settings of a local session on ``threads`` cores, its files under ``scratch``.

    >>> s = local_settings(2, Path("/tmp/x"), 4.0)
    >>> s["spark.master"], s["spark.sql.shuffle.partitions"], s["spark.driver.memory"]
    ('local[2]', '8', '4096m')
    """
    java_options = [f"-Djava.io.tmpdir={scratch / 'local'}"]
    java_options.append(f"-Dlog4j2.configurationFile={scratch / LOG4J_FILE}")
    return {
        "spark.master": f"local[{threads}]",
        "spark.driver.memory": f"{max(int(memory_gb * 1024), 1024)}m",
        "spark.driver.extraJavaOptions": " ".join(java_options),
        "spark.sql.shuffle.partitions": str(LOCAL_SHUFFLE_PARTITIONS),
        "spark.default.parallelism": str(LOCAL_SHUFFLE_PARTITIONS),
        "spark.ui.showConsoleProgress": "false",
        "spark.ui.enabled": "false",
        "spark.local.dir": str(scratch / "local"),
        "spark.sql.warehouse.dir": str(scratch / "warehouse"),
        # one time zone for dates, whatever the machine's
        "spark.sql.session.timeZone": "UTC",
    }


#: the JVM's logging of a local session: nothing on the console (Spark's messages can
#: quote row values, and the Python side raises the error anyway)
LOG4J_FILE = "log4j2.properties"
LOG4J = """\
rootLogger.level = off
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %p %c{1}: %m%n
"""


def start_session(threads: int, memory_gb: float, scratch: Path):
    """A new local Spark session on ``threads`` cores, its files under ``scratch``.

    Splink's similarity functions (Jaro-Winkler, Damerau-Levenshtein) ship in the
    splink wheel as a jar, added here as ``spark.jars``."""
    require()
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    (scratch / "local").mkdir(parents=True, exist_ok=True)
    (scratch / LOG4J_FILE).write_text(LOG4J)
    builder = SparkSession.builder.appName("enclave-link")
    for key, value in local_settings(threads, scratch, memory_gb).items():
        builder = builder.config(key, value)
    return builder.config("spark.jars", similarity_jar_location()).getOrCreate()


def configured_externally() -> bool:
    """Whether Spark's own configuration decides the session: the program runs under
    ``spark-submit``, or is given its options in ``PYSPARK_SUBMIT_ARGS``."""
    return any(name in os.environ for name in (SUBMITTED_ENV, SUBMIT_ARGS_ENV))


class Run:
    """The Spark side of one linkage run: its session (stopped at the end if the run
    started it), its checkpoint directory and the temporary views it made (both
    removed at the end)."""

    def __init__(self, threads: int, memory_gb: float) -> None:
        require()
        from pyspark.sql import SparkSession

        self.scratch: Scratch | None = None
        self.checkpoint: str | None = None
        self.views: set[str] | None = None
        self.session = SparkSession.getActiveSession()
        self.owned = self.session is None
        try:
            if self.session is None and configured_externally():
                self.session = SparkSession.builder.appName("enclave-link").getOrCreate()
            elif self.session is None:
                self.scratch = Scratch("spark")
                self.session = start_session(threads, memory_gb, self.scratch.path)
            self.views = _temporary_views(self.session)
            self.checkpoint = checkpoint_directory(self.session, self._local_scratch)
        except BaseException:
            self.close()
            raise

    def _local_scratch(self) -> Path:
        if self.scratch is None:
            self.scratch = Scratch("spark")
        return self.scratch.path

    def close(self) -> None:
        """Remove what the run made; stop the session if the run started it. Once."""
        session, self.session = self.session, None
        try:
            if session is not None and not self.owned and self.views is not None:
                for name in _temporary_views(session) - self.views:  # it outlives the run
                    session.catalog.dropTempView(name)
            if session is not None and self.checkpoint is not None:
                _delete(session, self.checkpoint)
        finally:
            if session is not None and self.owned:
                session.stop()
            if self.scratch is not None:
                self.scratch.close()
                self.scratch = None


def _temporary_views(session) -> set[str]:
    return {t.name for t in session.catalog.listTables() if t.isTemporary}


def checkpoint_directory(session, local_scratch) -> str:
    """Point the session's checkpoint directory, where Splink writes the tables that
    break long lineages, at a new run directory, and return it.

    Local: under the run's scratch directory (``local_scratch()``). On a cluster: under
    ``spark.checkpoint.dir``, which every executor must reach; without it the run
    stops with a one-line error."""
    master = session.sparkContext.master
    if master.startswith("local"):
        base = str(local_scratch())
    else:
        base = session.sparkContext.getConf().get("spark.checkpoint.dir", "")
        if not base:
            raise BackendError(
                f"linkage on Spark master '{master}' needs spark.checkpoint.dir: a directory"
                " every executor reaches (object storage), for Splink's intermediate tables"
            )
    run_dir = f"{base.rstrip('/')}/enclave-link-{uuid.uuid4().hex[:12]}"
    session.sparkContext.setCheckpointDir(run_dir)
    return run_dir


def _delete(session, directory: str) -> None:
    """Remove ``directory`` through Hadoop's file system API (a local path, HDFS or
    object storage alike)."""
    jvm = session.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(directory)
    path.getFileSystem(session.sparkContext._jsc.hadoopConfiguration()).delete(path, True)


def make_api(threads: int, memory_gb: float):
    """A Splink ``SparkAPI`` for one run; :func:`close` (or the API object's collection)
    ends the run."""
    run = Run(threads, memory_gb)
    try:
        from splink.backends.spark import SparkAPI

        # repartitioning after blocking: into half the shuffle partitions (Splink's rule)
        api = SparkAPI(spark_session=run.session, break_lineage_method="parquet")
        if not run.session.catalog.functionExists("jaro_winkler"):
            raise BackendError(
                "the Spark session lacks Splink's similarity functions: add the jar of"
                " splink.backends.spark.similarity_jar_location() to spark.jars"
            )
    except BaseException:
        run.close()
        raise
    api.enclave_spark_run = run
    weakref.finalize(api, run.close)
    return api


def close(api) -> None:
    run = getattr(api, "enclave_spark_run", None)
    if run is not None:
        run.close()


def to_spark(session, frame: pl.DataFrame):
    """``frame`` as a Spark DataFrame, through Arrow."""
    return session.createDataFrame(frame.to_arrow(compat_level=pl.CompatLevel.oldest()))


def to_polars(spark_frame) -> pl.DataFrame:
    """A Spark DataFrame collected to polars, through Arrow."""
    return pl.from_arrow(spark_frame.toArrow())
