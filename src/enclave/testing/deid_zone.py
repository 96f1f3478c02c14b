"""A small, fast, fully known staged zone and linkage zone, for the tests and the
benchmark of ``deidentify`` and ``build``.

It is not the synthetic world (``enclave.synth``): no identifier noise, no formats,
just tables exactly as docs/INTERFACES.md says ``ingest`` and ``link`` write them,
generated with numpy in a handful of vectorised steps so one million persons take
seconds. Every record's person is known (``person_key`` in the crosswalk), so tests
can compare analytic tables with what was generated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from enclave import io
from enclave.contracts.base import LINK_EVIDENCE, conform_identifiers

FIRST = ("ANNA", "JOSE", "MARIA", "JAMES", "LINDA", "DAVID", "KEISHA", "WEI", "OMAR", "ROSA")
LAST = ("SMITH", "GARCIA", "JOHNSON", "NGUYEN", "BROWN", "KOWALSKI", "PATEL", "LEE")
ZIPS = ("60601", "60629", "60402", "60187", "61820", "62701", "62901", "61104", "60085")


@dataclass(frozen=True)
class Zone:
    """Staged identifiers and content per agency, the crosswalk and the family table."""

    identifiers: dict[str, pl.DataFrame]
    content: dict[str, pl.DataFrame]
    crosswalk: pl.DataFrame
    family: pl.DataFrame

    def write(self, root: Path) -> tuple[Path, Path]:
        """Write ``root/staged/<agency>/...`` and ``root/linkage/...``; return both dirs."""
        staged, linkage = Path(root) / "staged", Path(root) / "linkage"
        for agency, frame in self.content.items():
            io.write_parquet(self.identifiers[agency], staged / agency / "identifiers.parquet")
            io.write_parquet(frame, staged / agency / "content.parquet")
        io.write_parquet(self.crosswalk, linkage / "crosswalk.parquet")
        io.write_parquet(self.family, linkage / "family.parquet")
        return staged, linkage


def _persons(n: int, rng: np.random.Generator, first: int = 0) -> pl.DataFrame:
    dob_days = rng.integers(-10_957, 18_262, n)  # 1940 .. 2019
    return pl.DataFrame(
        {
            "pidx": np.arange(first, first + n),
            "person_key": [f"P{i:012x}" for i in range(first, first + n)],
            "first_name": np.array(FIRST)[rng.integers(0, len(FIRST), n)],
            "last_name": np.array(LAST)[rng.integers(0, len(LAST), n)],
            "dob": pl.Series(dob_days, dtype=pl.Int32).cast(pl.Date),
            "sex": np.array(["F", "M"])[rng.integers(0, 2, n)],
            "ssn": [f"{v:09d}" for v in rng.integers(100_000_000, 899_999_999, n)],
            "zip": np.array(ZIPS)[rng.integers(0, len(ZIPS), n)],
        }
    )


def _runs(
    persons: pl.DataFrame, share: float, max_len: int, rng: np.random.Generator
) -> pl.DataFrame:
    """Per chosen person, one run of ``1..max_len`` consecutive periods: ``pidx, step``."""
    chosen = persons.filter(pl.Series(rng.random(persons.height) < share))
    lengths = rng.integers(1, max_len + 1, chosen.height)
    return (
        chosen.select(
            "pidx",
            pl.Series("length", lengths),
            pl.Series("offset", rng.integers(0, 120, chosen.height)),
        )
        .with_columns(pl.int_ranges(0, "length").alias("step"))
        .explode("step")
    )


def _month(offset: pl.Expr) -> pl.Expr:
    """The first day of month ``offset`` counted from January 2010."""
    return pl.date(2010 + offset // 12, offset % 12 + 1, 1)


#: (share of persons, longest run) of the IDHS, IDES, ISBE and HFS runs in the ``world``
#: mix: about 30 member-months, 37 wage quarters, 3 school years and 1.5 eligibility
#: spans a person, as the synthetic world's staged zone has (about 73 records a person)
WORLD_RUNS = {"idhs": (0.55, 108), "ides": (0.7, 105), "isbe": (0.4, 14), "hfs": (0.6, 4)}
MIXES = ("fixture", "world")


def _agency_records(
    persons: pl.DataFrame, rng: np.random.Generator, scale: int, mix: str = "fixture"
) -> dict[str, pl.DataFrame]:
    """Content rows with ``pidx`` (the true person), per agency."""
    n = persons.height
    world = mix == "world"
    span = _runs(persons, 0.4, 1, rng)
    idhs = _runs(
        persons, *(WORLD_RUNS["idhs"] if world else (0.25 + 0.05 * scale, 14 * scale)), rng
    )
    ides = _runs(persons, *(WORLD_RUNS["ides"] if world else (0.5 + 0.05 * scale, 12 * scale)), rng)
    isbe = _runs(persons, *(WORLD_RUNS["isbe"] if world else (0.2, 8)), rng)
    stays = _runs(persons, 0.04, 1, rng)
    # drawn last, so the fixture mix keeps its random stream
    hfs = _runs(persons, *WORLD_RUNS["hfs"], rng) if world else span
    start = _month(pl.col("offset"))
    return {
        "hfs": hfs.with_columns(pl.col("offset") + 12 * pl.col("step")).select(
            "pidx",
            (_month(pl.col("offset")) + pl.duration(days=pl.col("pidx") % 27)).alias("elig_start"),
            pl.when(pl.col("pidx") % 5 == 0)
            .then(None)
            .otherwise(_month(pl.col("offset")).dt.offset_by("9mo"))
            .alias("elig_end"),
            pl.lit("ADULT").alias("elig_category"),
            pl.lit(None, pl.String).alias("zip"),
        ),
        "idhs": idhs.filter((pl.col("step") != 3) | (pl.col("pidx") % 3 != 0)).select(
            "pidx",
            _month(pl.col("offset") + pl.col("step")).alias("benefit_month"),
            pl.when(pl.col("pidx") % 4 == 0)
            .then(pl.lit("TANF"))
            .otherwise(pl.lit("SNAP"))
            .alias("program"),
            pl.format("C{}", pl.col("pidx") // 3).alias("case_id"),
            pl.lit("HEAD").alias("relationship"),
            pl.lit(None, pl.String).alias("zip"),
        ),
        "aging": span.filter(pl.col("pidx") % 9 == 0).select(
            "pidx",
            start.alias("service_start"),
            start.dt.offset_by("2mo").alias("service_end"),
            pl.lit("HOMECARE").alias("service_type"),
            pl.lit(None, pl.String).alias("zip"),
        ),
        "dcfs": stays.select(
            "pidx",
            pl.when(pl.col("pidx") % 2 == 0)
            .then(pl.lit("PLACEMENT"))
            .otherwise(pl.lit("INVESTIGATION"))
            .alias("event_type"),
            start.alias("event_start"),
            pl.when(pl.col("pidx") % 2 == 0).then(start.dt.offset_by("5mo")).alias("event_end"),
            pl.lit("INDICATED").alias("finding"),
            pl.lit(None, pl.String).alias("placement_type"),
            pl.lit("17031").alias("county_fips"),
        ),
        "isbe": isbe.select(
            "pidx",
            (2008 + pl.col("offset") % 5 + pl.col("step")).cast(pl.Int32).alias("school_year"),
            (pl.col("step") % 13).cast(pl.Int8).alias("grade"),  # grades K-12, as ISBE's
            pl.when(pl.col("step") == pl.col("length") - 1)
            .then(
                pl.when(pl.col("pidx") % 2 == 0)
                .then(pl.lit("GRADUATED"))
                .otherwise(pl.lit("DROPOUT"))
            )
            .otherwise(pl.lit("ENROLLED"))
            .alias("exit_status"),
            pl.lit("17019").alias("county_fips"),
        ),
        "ides": ides.select(
            "pidx",
            (2010 + (pl.col("offset") // 3 + pl.col("step")) // 4).cast(pl.Int32).alias("year"),
            ((pl.col("offset") // 3 + pl.col("step")) % 4 + 1).cast(pl.Int8).alias("quarter"),
            pl.format("E{}", pl.col("pidx") % 997).alias("employer_id"),
            (1000.0 + (pl.col("pidx") % 50) * 100.0).alias("wages"),
        ),
        "idoc": stays.filter(pl.col("pidx") % 3 == 0).select(
            "pidx",
            start.alias("admit_date"),
            pl.when(pl.col("pidx") % 2 == 0).then(start.dt.offset_by("18mo")).alias("release_date"),
            pl.lit("X").alias("offense_class"),
            pl.lit("17031").alias("county_fips"),
        ),
        # youth custody: every fifth of the stays, no draw of its own (the mix keeps
        # its random stream); DJJ's codes, as the contract stages them
        "djj": stays.filter(pl.col("pidx") % 5 == 1).select(
            "pidx",
            start.alias("admit_date"),
            pl.when(pl.col("pidx") % 2 == 1).then(start.dt.offset_by("7mo")).alias("release_date"),
            pl.lit("COMMITMENT").alias("admission_type"),
            pl.lit("STC").alias("facility"),
            pl.when(pl.col("pidx") % 2 == 1).then(pl.lit("AFTERCARE")).alias("release_reason"),
            pl.lit("17031").alias("county_fips"),
        ),
        # energy assistance and training, no draw of their own either
        "dceo": _dceo_records(span, start),
        # veterans' benefits, no draw of their own either: a claim for every eleventh
        # person of the spans, and for the even ones a veterans' home stay a year on
        "idva": pl.concat(
            [_idva(span, start, "CLAIM"), _idva(span, start.dt.offset_by("12mo"), "HOME")]
        ),
        # UI claims, no draw of their own either: one after every sixth of the IDES runs
        # that ends, its benefit year beginning the Sunday after the last quarter worked
        "ides_ui": _ui_claims(ides),
        "idph": pl.concat(
            [
                persons.filter(pl.col("dob") >= pl.date(2000, 1, 1)).select(
                    "pidx",
                    pl.lit("BIRTH").alias("record_type"),
                    pl.col("dob").alias("event_date"),
                    pl.lit("17031").alias("county_fips"),
                    pl.lit(1, pl.Int8).alias("plurality"),
                ),
                persons.filter(pl.col("pidx") % max(n // 50, 1) == 7).select(
                    "pidx",
                    pl.lit("DEATH").alias("record_type"),
                    pl.date(2021, 1 + pl.col("pidx") % 12, 15).alias("event_date"),
                    pl.lit("17043").alias("county_fips"),
                    pl.lit(None, pl.Int8).alias("plurality"),
                ),
            ]
        ),
    }


#: DCEO's LIHEAP and WIOA fields a record of the other program leaves empty
_DCEO_NULLS = {
    "end_date": pl.Date, "case_id": pl.String, "relationship": pl.String,
    "program_year": pl.Int32, "household_size": pl.Int8, "benefit_amount": pl.Float64,
    "heating_source": pl.String, "funding_stream": pl.String, "exit_reason": pl.String,
    "credential": pl.String,
}  # fmt: skip


def _dceo(rows: pl.DataFrame, start: pl.Expr, program: str, **values: pl.Expr) -> pl.DataFrame:
    """DCEO records of ``program`` dated ``start``, as the contract stages them: the
    given ``values``, the other program's fields empty."""
    return (
        rows.select(
            "pidx",
            pl.lit(program).alias("program"),
            start.alias("start_date"),
            *(pl.lit(None, t).alias(c) for c, t in _DCEO_NULLS.items()),
            pl.lit(None, pl.String).alias("zip"),
        )
        .with_columns(**values)
        .select("pidx", "program", "start_date", *_DCEO_NULLS, "zip")
    )


def _dceo_records(span: pl.DataFrame, start: pl.Expr) -> pl.DataFrame:
    """A LIHEAP application for every seventh person of the spans (households of three
    consecutive persons share its number; program years start in October), a WIOA
    enrolment for every eleventh (the even ones exited)."""
    pidx, applied = pl.col("pidx"), pl.col("start_date")
    exited = pidx % 2 == 0
    liheap = _dceo(
        span.filter(pidx % 7 == 2),
        start,
        "LIHEAP",
        case_id=pl.format("LH{}", pidx // 3),
        relationship=pl.lit("APPLICANT"),
        program_year=applied.dt.year() + (applied.dt.month() >= 10).cast(pl.Int32),
        household_size=pl.lit(1, pl.Int8),
        benefit_amount=pl.lit(480.0),
        heating_source=pl.lit("NATURAL_GAS"),
    )
    wioa = _dceo(
        span.filter(pidx % 11 == 5),
        start,
        "WIOA",
        end_date=pl.when(exited).then(applied.dt.offset_by("8mo")),
        funding_stream=pl.lit("DISLOCATED_WORKER"),
        exit_reason=pl.when(exited).then(pl.lit("COMPLETED")),
    )
    return pl.concat([liheap, wioa])


def _idva(span: pl.DataFrame, start: pl.Expr, benefit: str) -> pl.DataFrame:
    """IDVA claims (``benefit`` CLAIM) or veterans' home stays (HOME, the even persons
    only), as the contract stages them (IDVA's codes); two in three ended, all after
    Army service."""
    claim = benefit == "CLAIM"
    chosen = (pl.col("pidx") % 11 == 4) & (pl.lit(claim) | (pl.col("pidx") % 2 == 0))
    ended = pl.col("pidx") % 3 != 0
    return span.filter(chosen).select(
        "pidx",
        pl.lit(benefit).alias("benefit"),
        pl.lit("COMPENSATION" if claim else None, pl.String).alias("claim_type"),
        pl.lit(None if claim else "QCY", pl.String).alias("home"),
        start.alias("benefit_start"),
        pl.when(ended).then(start.dt.offset_by("5mo")).alias("benefit_end"),
        pl.when(ended).then(pl.lit("GRANTED" if claim else "DISCHARGED")).alias("disposition"),
        pl.lit("ARMY").alias("branch"),
        pl.date(1968, 3, 4).alias("service_entry"),
        pl.date(1970, 3, 3).alias("service_release"),
        pl.lit("HONORABLE").alias("discharge_character"),
        pl.lit(None, pl.String).alias("zip"),
    )


def _ui_claims(ides: pl.DataFrame) -> pl.DataFrame:
    """IDES UI claims as the contract stages them: after the last quarter of the chosen
    persons' IDES runs (the same calendar as the wage records), 12 weeks claimed, paid
    unless the person quit."""
    last = ides.filter(pl.col("step") == pl.col("length") - 1, pl.col("pidx") % 6 == 1)
    q = pl.col("offset") // 3 + pl.col("step") + 1  # the quarter after the last worked
    after = pl.date(2010 + q // 4, q % 4 * 3 + 1, 1)
    sunday = after.dt.offset_by("7d") - pl.duration(days=after.dt.weekday().cast(pl.Int64) % 7)
    quit_ = pl.col("pidx") % 4 == 1
    return last.select(
        "pidx",
        sunday.alias("benefit_year_begin"),
        pl.lit("UI").alias("program"),
        pl.when(quit_).then(pl.lit("VOLUNTARY_QUIT")).otherwise(pl.lit("LACK_OF_WORK"))
        .alias("separation_reason"),
        pl.lit(412.0).alias("weekly_benefit"),
        pl.lit(12, pl.Int8).alias("weeks_claimed"),
        pl.when(quit_).then(0).otherwise(12).cast(pl.Int8).alias("weeks_paid"),
        pl.lit(None, pl.String).alias("zip"),
    )  # fmt: skip


def _zip_column(agency: str, frame: pl.DataFrame, persons: pl.DataFrame) -> pl.DataFrame:
    """Agencies that deliver a ZIP in content get the person's."""
    if "zip" not in frame.columns:
        return frame
    return frame.drop("zip").join(persons.select("pidx", "zip"), on="pidx", how="left")


def make_zone(
    n: int,
    seed: int = 1,
    scale: int = 1,
    mix: str = "fixture",
    first_person: int = 0,
    first_records: dict[str, int] | None = None,
) -> Zone:
    """A zone of ``n`` persons (deterministic in its arguments).

    ``scale`` lengthens the monthly (IDHS) and quarterly (IDES) runs: about 7 records
    a person at 1, about 40 at 5. ``mix="world"`` instead gives the synthetic world's
    agency mix and density (:data:`WORLD_RUNS`, about 73 records a person).
    ``first_person`` and ``first_records`` (per agency) number persons and records
    from there, so that zones can be generated block by block (:func:`write_zone`).
    """
    if mix not in MIXES:
        raise ValueError(f"mix must be one of {MIXES}")
    rng = np.random.default_rng(seed)
    persons = _persons(n, rng, first_person)
    first_records = first_records or {}
    identifiers, content, links = {}, {}, []
    for agency, rows in _agency_records(persons, rng, scale, mix).items():
        order = [*rows.columns[1:]]
        rows = _zip_column(agency, rows, persons).sort("pidx", *order[:1])
        rows = rows.with_columns(
            pl.format(
                "{}-{}",
                pl.lit(agency),
                (pl.int_range(1, pl.len() + 1) + first_records.get(agency, 0))
                .cast(pl.String)
                .str.zfill(9),
            ).alias("record_key"),
            pl.lit(agency).alias("agency"),
        )
        content[agency] = rows.select("record_key", "agency", *order)
        people = rows.select("record_key", "agency", "pidx").join(persons, on="pidx")
        identifiers[agency] = conform_identifiers(
            people.lazy().with_columns(
                pl.format("{}{}", pl.lit(agency.upper()), pl.col("pidx") * 7 + 3).alias(
                    "agency_id"
                ),
                *([pl.lit(None, pl.Date).alias("dob")] if agency == "ides" else []),
            )
        ).collect()
        links.append(people.select("record_key", "person_key", "pidx"))
    crosswalk = (
        pl.concat(links)
        .select(
            "record_key",
            "person_key",
            (1.0 - (pl.col("pidx") % 7) * 0.01).alias("match_probability"),
            # one person in 50 reached by a name-only link, as a study would see them
            pl.when(pl.col("pidx") % 50 == 7)
            .then(pl.lit("name_only"))
            .otherwise(pl.lit("ssn"))
            .cast(LINK_EVIDENCE)
            .alias("link_evidence"),
        )
        .sort("record_key")
    )
    return Zone(identifiers, content, crosswalk, _family(content["idph"], crosswalk, persons))


def _family(idph: pl.DataFrame, crosswalk: pl.DataFrame, persons: pl.DataFrame) -> pl.DataFrame:
    """Each birth record's mother: a woman born 18-40 years earlier (deterministic pick)."""
    births = idph.filter(pl.col("record_type") == "BIRTH").join(crosswalk, on="record_key")
    women = persons.filter(pl.col("sex") == "F").select("person_key").get_column("person_key")
    if women.is_empty() or births.is_empty():
        return pl.DataFrame(
            schema={
                "child_person_key": pl.String,
                "parent_person_key": pl.String,
                "role": pl.String,
                "match_probability": pl.Float64,
                "record_key": pl.String,
            }
        )
    pick = pl.Series(np.arange(births.height) * 7919 % women.len())
    return births.select(
        pl.col("person_key").alias("child_person_key"),
        women.gather(pick).alias("parent_person_key"),
        pl.lit("MOTHER").alias("role"),
        pl.lit(0.97).alias("match_probability"),
        "record_key",
    ).sort("child_person_key", "record_key")


def write_zone(
    n: int, root: Path, seed: int = 1, mix: str = "world", block: int = 50_000
) -> dict[str, int]:
    """Generate a zone of ``n`` persons block by block and write it, in bounded memory.

    Block ``i`` is :func:`make_zone` with seed ``seed + i``, numbering on from the
    blocks before, so the files are what the pipeline writes: each agency's files in
    record-key order and the crosswalk sorted on ``record_key``. Returns records per
    agency.
    """
    staged, linkage = Path(root) / "staged", Path(root) / "linkage"
    counts: dict[str, int] = {}
    sinks: dict[str, io.ParquetSink] = {}

    def put(name: str, path: Path, frame: pl.DataFrame) -> None:
        if name not in sinks:
            sinks[name] = io.ParquetSink(path, frame.schema)
        sinks[name].write(frame)

    try:
        for index, first in enumerate(range(0, n, block)):
            zone = make_zone(min(block, n - first), seed + index, 1, mix, first, dict(counts))
            for agency, frame in zone.content.items():
                counts[agency] = counts.get(agency, 0) + frame.height
                folder = staged / agency
                put(f"{agency}/c", folder / "content.parquet", frame)
                put(f"{agency}/i", folder / "identifiers.parquet", zone.identifiers[agency])
                part = zone.crosswalk.filter(pl.col("record_key").str.starts_with(f"{agency}-"))
                put(f"{agency}/x", linkage / f".crosswalk-{agency}.parquet", part)
            put("family", linkage / "family.parquet", zone.family)
    finally:
        for sink in sinks.values():
            sink.close()
    # agency names sort as their record keys do: the parts in name order are sorted
    parts = [linkage / f".crosswalk-{a}.parquet" for a in sorted(counts)]
    with io.ParquetSink(linkage / "crosswalk.parquet", pl.read_parquet_schema(parts[0])) as sink:
        for part in parts:
            for batch in pl.read_parquet(part).iter_slices(1_000_000):
                sink.write(batch)
            part.unlink()
    return counts
