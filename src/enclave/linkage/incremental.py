"""A monthly delivery linked against the linkage zone already written, not from nothing.

A full run leaves beside its outputs what the next month needs (:func:`keep`): the
trained model as parameters (``model.json``), every identity record with its person,
evidence and guard attributes (``identities.parquet``), and which input files, by
content, it linked under which parameters and code (``state.json``). When ``enclave
link`` then finds exactly those files unchanged plus new monthly deliveries
(``<agency>/<YYYY-MM>/identifiers.parquet``), and nothing else changed, it links only the
new records (:func:`link_month`):

1. the month's rows collapse to identity records, as in a full run;
2. a record whose identifiers are an identity record already linked takes its person
   (agencies repeat the same identifiers month after month: most records of a month);
3. the other identity records are scored with the same model against every person
   identity record and each other (:func:`enclave.linkage.model.predict_new`), and
   clustered with the same threshold, guards and rosters
   (:func:`enclave.linkage.cluster.cluster_at`) over the new links;
4. a cluster holding records already linked joins the person its strongest link reaches
   (never the person of a record that a roster of the month lists beside one of its
   own); one holding new records only is a new person, keyed from its smallest record
   key as a full run keys it.

Existing person keys are never renumbered and existing persons never merge or split:
a new record that links two persons joins the one it links most strongly (a full
rebuild might merge them; the report counts such records). The model is not
retrained; a full rebuild retrains on every record. A month naming parents (birth
records), a changed input file, other parameters or other code links everything again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from enclave import io, log, partfiles, paths
from enclave.config import LinkageParams
from enclave.errors import InputError
from enclave.linkage import evidence, identity, model, priors
from enclave.linkage.cluster import cluster_at
from enclave.linkage.inputs import InputFile, report
from enclave.linkage.keys import cluster_keys
from enclave.linkage.standardise import IDENTITY_COLUMNS

LOG = log.get("enclave.linkage")

STATE, IDENTITIES, MODEL = "state.json", "identities.parquet", "model.json"
#: what the zone must hold for a month to be linked against it
ZONE = (
    "crosswalk.parquet",
    "family.parquet",
    "pairs.parquet",
    "apart.parquet",
    "identity_map.parquet",
)
#: identity columns an exact match compares (``last_parts``, a list, as its text)
MATCH_ON = [c for c in IDENTITY_COLUMNS if c != "last_parts"] + ["_parts"]
#: guard attributes (:func:`enclave.linkage.guard_attributes`) kept per identity record
ATTRS = ("birth_year", "born_by", "ssn_head", "ssn_tail", "sex_code")
PAIRS = {"id_l": pl.Int64, "id_r": pl.Int64, "match_probability": pl.Float64}
APART = {"id_l": pl.Int64, "id_r": pl.Int64}


@dataclass(frozen=True)
class Prior:
    """An earlier run's zone that the new inputs can be linked against."""

    state: dict
    new: list[InputFile]


def fingerprint(params: LinkageParams) -> str:
    """The parameters and the code a linkage zone depends on besides its inputs."""
    import dataclasses

    from enclave import contracts

    package = Path(__file__).parent
    code = sorted(package.glob("*.py")) + sorted(package.glob("*.json"))
    code.append(Path(contracts.__file__).parent / "base.py")
    code.append(Path(partfiles.__file__))  # how a month's rows are laid out
    return io.code_digest(repr(sorted(dataclasses.asdict(params).items())), code)


def state(params: LinkageParams, files: list[InputFile], known: dict | None = None) -> dict:
    """What ``state.json`` records of a run: its fingerprint and its inputs by content
    (``known``: file -> SHA-256 of files already hashed in this run, not read again)."""
    known = known or {}
    inputs = [
        {"file": str(f.path), "sha256": known.get(str(f.path)) or io.sha256_file(f.path)}
        for f in files
    ]
    return {"fingerprint": fingerprint(params), "inputs": inputs}


def previous(out: Path, params: LinkageParams, files: list[InputFile]) -> Prior | None:
    """The earlier zone ``out`` if the inputs are its inputs, unchanged, plus monthly
    deliveries only, under the same parameters and code; else None (link everything)."""
    out = Path(out)
    needed = [out / n for n in (*ZONE, STATE, IDENTITIES, MODEL)]
    if not all(p.is_file() for p in needed):
        return None
    try:
        earlier = io.read_json(out / STATE)
        linked = {e["file"]: e["sha256"] for e in earlier["inputs"]}
        priors.read_model(out / MODEL)  # a model that cannot be used: link everything again
        for name in (*partfiles.ROW_LEVEL, *partfiles.APPENDED):  # nor a damaged layout
            partfiles.rows(out, name)
    except (OSError, ValueError, KeyError, TypeError, InputError):
        return None
    if earlier.get("fingerprint") != fingerprint(params):
        return None
    new = [f for f in files if str(f.path) not in linked]
    monthly = all(paths.MONTH_FOLDER.match(f.path.parent.name) for f in new)
    if not new or not monthly or not any(f.records for f in new):
        return None  # decided before any input is read (a full run reads them all)
    current = {str(f.path): f for f in files}
    same = (name in current and io.sha256_file(Path(name)) == sha for name, sha in linked.items())
    if not all(same):
        return None
    return Prior(earlier, new)


def keep(
    tmp: Path, params: LinkageParams, files: list[InputFile], kept: dict, known: dict | None = None
) -> None:
    """Write what the next month is linked against, beside a full run's outputs
    (``known``: the inputs' digests, as :func:`state` takes them)."""
    io.write_parquet(kept["identities"], tmp / IDENTITIES)
    io.write_json(rounded(kept["model"]), tmp / MODEL)
    io.write_json(state(params, files, known), tmp / STATE)


def rounded(values: object, digits: int = 10) -> object:
    """``values`` with every float to ``digits`` significant digits: EM's sums run in
    parallel, so the last bits of a trained m or u differ from run to run, and a
    model file must be the same bytes for the same inputs (the pairs are rounded too).

    >>> rounded({"m": [0.12345678901234, 1e-17], "label": "exact"})
    {'m': [0.123456789, 1e-17], 'label': 'exact'}
    """
    if isinstance(values, float):
        return float(f"{values:.{digits}g}")
    if isinstance(values, dict):
        return {k: rounded(v, digits) for k, v in values.items()}
    if isinstance(values, list | tuple):
        return [rounded(v, digits) for v in values]
    return values


def link_month(params: LinkageParams, files: list[InputFile], prior: Prior, out: Path) -> bool:
    """Link the new deliveries of ``prior`` against the zone ``out`` and write it again
    with them, their crosswalk and identity map rows as parts (see the module docstring
    and :mod:`enclave.partfiles`). False, having written nothing, if they name parents."""
    out = Path(out)
    collapsed = identity.collapse([f.frame for f in prior.new], params.min_age)
    if collapsed.parents.height:
        LOG.info("the new deliveries name parents: linking every record again")
        return False
    stored = partfiles.rows(out, "identities").scan().collect()  # whole, or months as parts
    fresh = collapsed.identities
    n = stored.height
    people = stored.filter(pl.col("role").is_null())
    parts = pl.col("last_parts").list.join(" ").alias("_parts")
    match = (
        fresh.with_columns(parts)
        .select(MATCH_ON)
        .join(
            people.with_columns(parts).select(pl.col("identity_id").alias("stored_id"), *MATCH_ON),
            on=MATCH_ON,
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
    )
    stored_id = match.get_column("stored_id")
    if match.height != fresh.height:  # identity records are distinct: a code fault
        raise RuntimeError("an identity record matched two stored ones")
    novel_rows = np.flatnonzero(stored_id.is_null().to_numpy())
    novel_ids = np.arange(n, n + novel_rows.size, dtype=np.int64)
    global_id = stored_id.fill_null(-1).to_numpy().astype(np.int64)
    global_id[novel_rows] = novel_ids
    local = collapsed.born_by.get_column("identity_id").to_numpy()
    born = collapsed.born_by.with_columns(identity_id=pl.Series(global_id[local]))
    novel = fresh[novel_rows].with_columns(
        identity_id=pl.Series(novel_ids), unique_id=pl.Series(novel_ids)
    )
    pairs = (
        model.predict_new(novel, people, params, io.read_json(out / MODEL))
        if novel.height
        else pl.DataFrame(schema=PAIRS)
    )
    novel_attrs = _attributes(novel, born, stored)
    first_key = _first_keys(collapsed, novel_rows)
    ends = [global_id[collapsed.apart.get_column(c).to_numpy()] for c in ("id_l", "id_r")]
    apart = pl.DataFrame(
        {"id_l": np.minimum(*ends), "id_r": np.maximum(*ends)}, schema=APART
    ).unique()
    attached = _attach(novel, novel_attrs, stored, pairs, params.threshold, first_key, apart)
    added = novel.with_columns(*attached.columns()).join(novel_attrs, on="identity_id")
    added = added.select(stored.columns)
    carried = ["person_key", "match_probability", "link_evidence"]
    # what each of the month's identity records carries, in its local order
    per_identity = pl.DataFrame({"identity_id": global_id}).join(
        pl.concat([stored.select("identity_id", *carried), added.select("identity_id", *carried)]),
        on="identity_id",
        how="left",
        maintain_order="left",
    )
    ids = collapsed.record_identity
    keys = collapsed.keys.slice(0, len(collapsed.keys)).alias("record_key")
    crosswalk = pl.DataFrame([keys, *(per_identity.get_column(c).gather(ids) for c in carried)])
    attrs = pl.concat([stored.select("identity_id", *ATTRS), added.select("identity_id", *ATTRS)])
    identity_map = (
        pl.DataFrame([keys, pl.Series("identity_id", global_id).gather(ids)])
        .with_columns(pl.lit(None, pl.String).alias("role"))
        .join(attrs, on="identity_id", how="left", maintain_order="left")
        .select("record_key", "role", "identity_id", *ATTRS)
    )
    known = set(stored.get_column("person_key").to_list())
    notes = {
        "deliveries": [str(f.path) for f in prior.new],
        "records": len(keys),
        "identity_records": fresh.height,
        "new_identity_records": novel.height,
        "new_persons": added.filter(~pl.col("person_key").is_in(list(known)))
        .get_column("person_key")
        .n_unique(),
        "identity_records_linking_two_persons": attached.between,
    }
    added_rows = {
        "crosswalk": crosswalk,
        "identity_map": identity_map,
        "identities": added,
        "pairs": pairs,
    }
    _write(out, params, files, prior, added_rows, apart, notes)
    LOG.info(
        "monthly delivery: %d records as %d identity records, %d new, linked against %d",
        len(keys), fresh.height, novel.height, n,
    )  # fmt: skip
    return True


def _code_lookup(stored: pl.DataFrame, novel: pl.DataFrame, value: pl.Expr, code: str) -> pl.Expr:
    """The opaque code of ``value`` in the novel records: the stored records' code of the
    same value, or a new one (codes are only ever compared for equality)."""
    known = stored.select(value.alias("_v"), pl.col(code)).drop_nulls().unique("_v")
    top = int(known.get_column(code).max() or 0)
    unseen = novel.select(value.alias("_v")).drop_nulls().unique().join(known, on="_v", how="anti")
    unseen = unseen.sort("_v").with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + top + 1).alias(code)
    )
    return pl.concat([known, unseen])


def _attributes(novel: pl.DataFrame, born: pl.DataFrame, stored: pl.DataFrame) -> pl.DataFrame:
    """The guard attributes (:data:`ATTRS`) of the novel identity records, coded as the
    stored ones are."""
    parts = {
        "ssn_head": pl.col("ssn").str.slice(0, 5),
        "ssn_tail": pl.col("ssn").str.slice(5, 4),
        "sex_code": pl.col("sex"),
    }
    frame = novel.select("identity_id", "birth_year", "ssn", "sex").join(
        born, on="identity_id", how="left"
    )
    for code, value in parts.items():
        lookup = _code_lookup(stored, novel, value, code)
        frame = frame.with_columns(value.alias("_v")).join(lookup, on="_v", how="left").drop("_v")
    return frame.select("identity_id", *ATTRS)


def _first_keys(collapsed: identity.Collapsed, rows: np.ndarray) -> pl.Series:
    """The smallest record key of each novel identity record (rows of the month's
    identities), which keys a new person as a full run keys it."""
    first = (
        pl.DataFrame({"identity": collapsed.record_identity})
        .with_row_index("pos")
        .group_by("identity")
        .agg(pl.col("pos").min())
    )
    positions = (
        pl.DataFrame({"identity": pl.Series(rows, dtype=pl.Int32)})
        .join(first, on="identity", how="left", maintain_order="left")
        .get_column("pos")
        .to_numpy()
    )
    return collapsed.keys.gather(positions).alias("record_key")


@dataclass(frozen=True)
class Attached:
    """Per novel identity record: its person, strongest link and evidence; and how many
    linked two persons already known (each joined the one it links most strongly)."""

    person_key: pl.Series
    match_probability: pl.Series
    link_evidence: pl.Series
    between: int

    def columns(self) -> list[pl.Series]:
        return [self.person_key, self.match_probability, self.link_evidence]


def _attach(
    novel: pl.DataFrame,
    attrs: pl.DataFrame,
    stored: pl.DataFrame,
    pairs: pl.DataFrame,
    threshold: float,
    first_key: pl.Series,
    apart: pl.DataFrame,
) -> Attached:
    """Cluster the novel identity records over their links (threshold, guards and the
    month's rosters ``apart`` as a full run) and give each cluster a person (see the
    module docstring)."""
    k = novel.height
    ends = pl.concat([pairs.get_column("id_l"), pairs.get_column("id_r")]).unique().sort()
    touched = stored.filter(pl.col("identity_id").is_in(ends.implode()))
    nodes = pl.concat([novel.get_column("identity_id"), touched.get_column("identity_id")])
    local = pl.DataFrame({"identity_id": nodes, "local": pl.int_range(nodes.len(), eager=True)})
    edges = _renumbered(pairs, local)
    node_attrs = pl.concat([attrs, touched.select("identity_id", *ATTRS)]).select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("identity_id"), *ATTRS
    )
    node_apart = _renumbered(apart, local)
    labels, kept = cluster_at(nodes.len(), edges, node_attrs, threshold, apart=node_apart)
    # the strongest kept link of each node, and its evidence
    both = pl.concat(
        [
            kept.select(pl.col("id_l").alias("v"), pl.col("id_r").alias("w"), "match_probability"),
            kept.select(pl.col("id_r").alias("v"), pl.col("id_l").alias("w"), "match_probability"),
        ]
    ).sort(["v", "match_probability", "w"], descending=[False, True, False])
    compared = pl.concat([novel.select("ssn", "ssn4", "dob"), touched.select("ssn", "ssn4", "dob")])
    codes = evidence.edge_classes(both.rename({"v": "id_l", "w": "id_r"}), compared)
    best = (
        both.with_columns(code=pl.Series(codes, dtype=pl.Int8))
        .group_by("v", maintain_order=True)
        .first()
    )
    strongest = np.ones(nodes.len())
    code = np.full(nodes.len(), 3, dtype=np.int64)  # single: no link placed it
    strongest[best.get_column("v").to_numpy()] = best.get_column("match_probability").to_numpy()
    code[best.get_column("v").to_numpy()] = best.get_column("code").to_numpy()
    # each cluster's person: that of the known record its strongest novel link reaches
    person = touched.get_column("person_key")
    reach = both.filter((pl.col("v") < k) & (pl.col("w") >= k))
    reach = (
        reach.with_columns(
            cluster=pl.Series(labels[reach.get_column("v").to_numpy()]),
            person_key=person.gather(reach.get_column("w") - k),
        )
        .join(_barred(apart, novel, stored, labels), on=["cluster", "person_key"], how="anti")
        .sort(["cluster", "match_probability", "person_key"], descending=[False, True, False])
    )
    joined = reach.group_by("cluster", maintain_order=True).agg(
        pl.col("person_key").first(), pl.col("person_key").n_unique().alias("persons")
    )
    clusters = pl.DataFrame({"cluster": labels[:k]})
    firsts = (
        clusters.with_columns(record_key=first_key)
        .join(joined, on="cluster", how="anti")
        .group_by("cluster")
        .agg(pl.col("record_key").min())
    )
    taken = set(stored.get_column("person_key").to_list())
    fresh = cluster_keys(firsts, taken).rename({"cluster_key": "person_key"})
    keyed = clusters.join(
        pl.concat([joined.select("cluster", "person_key"), fresh]),
        on="cluster",
        how="left",
        maintain_order="left",
    )
    between = clusters.join(joined.filter(pl.col("persons") > 1), on="cluster").height
    return Attached(
        keyed.get_column("person_key"),
        pl.Series("match_probability", strongest[:k]),
        evidence.as_classes(code[:k]),
        between,
    )


def _renumbered(links: pl.DataFrame, local: pl.DataFrame) -> pl.DataFrame:
    """``links`` between nodes (``id_l``, ``id_r`` and any other columns) in the nodes'
    local ids (``local``: ``identity_id`` -> ``local``), ``id_l`` < ``id_r``."""
    return (
        links.join(local.rename({"identity_id": "id_l", "local": "l"}), on="id_l")
        .join(local.rename({"identity_id": "id_r", "local": "r"}), on="id_r")
        .select(
            pl.min_horizontal("l", "r").cast(pl.Int64).alias("id_l"),
            pl.max_horizontal("l", "r").cast(pl.Int64).alias("id_r"),
            pl.exclude("id_l", "id_r", "l", "r"),
        )
    )


def _barred(
    apart: pl.DataFrame, novel: pl.DataFrame, stored: pl.DataFrame, labels: np.ndarray
) -> pl.DataFrame:
    """(``cluster``, ``person_key``): the persons a cluster of novel records must not
    join, those of stored records that a roster lists beside one of its records."""
    novel_local = novel.select("identity_id", pl.int_range(pl.len(), dtype=pl.Int64).alias("local"))
    persons = stored.select("identity_id", "person_key")
    both = pl.concat([apart, apart.select(id_l="id_r", id_r="id_l")])
    barred = both.join(novel_local.rename({"identity_id": "id_l"}), on="id_l").join(
        persons.rename({"identity_id": "id_r"}), on="id_r"
    )
    return barred.select(
        pl.Series("cluster", labels[barred.get_column("local").to_numpy()]), "person_key"
    ).unique()


def _write(
    out: Path,
    params: LinkageParams,
    files: list[InputFile],
    prior: Prior,
    added_rows: dict[str, pl.DataFrame],
    apart: pl.DataFrame,
    notes: dict,
) -> None:
    """The zone again: the month's rows of the crosswalk, identity map, identity records
    and pairs (``added_rows``) as parts of their own (:mod:`enclave.partfiles`), the
    other files as they were but the rosters, written again with the month's."""
    earlier = io.read_json(out / "report.json")
    months = [*earlier.get("monthly", []), notes]
    with io.atomic_dir(out) as tmp:
        layout = {
            name: partfiles.add_part(
                partfiles.rows(out, name), rows, tmp, len(months), name in partfiles.ROW_LEVEL
            )
            for name, rows in added_rows.items()
        }
        io.write_json(layout, tmp / partfiles.PARTS)
        old_apart = pl.read_parquet(out / "apart.parquet")
        apart = pl.concat([old_apart, apart]).unique().sort("id_l", "id_r")
        io.write_parquet(apart, tmp / "apart.parquet")
        for name in ("family.parquet", MODEL):
            io.link_or_copy(out / name, tmp / name)
        training = {k: v for k, v in earlier.items() if k not in ("inputs", "records", "monthly")}
        io.write_json(report(files) | training | {"monthly": months}, tmp / "report.json")
        # the earlier inputs were hashed, and found unchanged, by :func:`previous`
        linked = {e["file"]: e["sha256"] for e in prior.state["inputs"]}
        io.write_json(state(params, files, linked), tmp / STATE)
