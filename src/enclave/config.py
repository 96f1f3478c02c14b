"""Typed, frozen view of ``params.yaml``.

``params.yaml`` is read once, at the edge (the CLI or a notebook), into the
frozen dataclasses below. Every key is checked: an unknown key, a missing key
without a default or a value of the wrong type is a :class:`ConfigError` that
names the key's dotted path, e.g. ``linkage.threshold: expected float, got str``.

Each stage receives only its own section (``params.synth``, ``params.linkage``...),
which is also the set of keys its ``dvc.yaml`` stage declares.

>>> p = from_mapping({"synth": {"persons": 500}})
>>> p.synth.persons
500
>>> from_mapping({"synth": {"persns": 1}})
Traceback (most recent call last):
...
enclave.config.ConfigError: params: unknown key 'synth.persns'
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

#: The agencies of the enterprise agreement that deliver an extract, in pipeline order
#: (short names are directory names). Each has its contract, ``enclave.contracts.<name>``.
AGENCIES: tuple[str, ...] = (
    "hfs", "idhs", "aging", "dcfs", "isbe", "ides", "idoc", "idph", "djj", "idva", "dceo",
    "ides_ui",
)  # fmt: skip


class ConfigError(ValueError):
    """params.yaml does not match the typed configuration."""


def bounded(
    default: Any, *, ge: float | None = None, le: float | None = None, why: str = ""
) -> Any:
    """A field whose value must lie in ``[ge, le]``: a safeguard's floor, or a share.

    Checked when params.yaml is read, so no parameter can switch a safeguard off
    (``deid.k_min: 0`` is refused, naming the key and the floor).
    """
    return field(default=default, metadata={"ge": ge, "le": le, "why": why})


def share(default: float) -> Any:
    """A probability or a share: between 0 and 1."""
    return bounded(default, ge=0.0, le=1.0)


class Bounded:
    """Checks the :func:`bounded` fields of a section built in code, not only from YAML."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            _check_bounds(f, getattr(self, f.name), f.name)


# --------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class ErrorRates(Bounded):
    """Per-record probabilities of each identifier error the synthetic world injects."""

    typo: float = share(0.03)
    nickname: float = share(0.04)
    name_swap: float = share(0.005)
    dob_day_month_swap: float = share(0.01)
    dob_typo: float = share(0.01)
    ssn_missing: float = share(0.05)
    ssn_typo: float = share(0.01)
    ssn_shared_in_family: float = share(0.002)
    diacritics_case_spacing: float = share(0.02)
    missing_dob: float = share(0.005)
    #: a married person's earlier surname used instead of the current one
    old_surname: float = share(0.05)
    #: a corrections record carries an alias name (only agencies with alias columns)
    alias: float = share(0.0)
    #: the first name delivered as its initial only (IDES wage records)
    first_initial: float = share(0.0)
    #: share of rows that fail the agency's contract on purpose (quarantine exercise)
    invalid_row: float = share(0.001)
    #: share of rows delivered twice, byte for byte (duplicate handling exercise)
    duplicate_row: float = share(0.001)


def _default_agency_errors() -> dict[str, dict[str, float]]:
    """How each agency's identifier quality departs from the common rates (DESIGN.md)."""
    return {
        "idhs": {"ssn_missing": 0.15},
        "aging": {"ssn_missing": 0.1},
        "dcfs": {"ssn_missing": 0.9, "diacritics_case_spacing": 0.08},
        # a borrowed SSN at the same employer and quarter would break the wage grain
        "ides": {"ssn_missing": 0.0, "ssn_shared_in_family": 0.0, "first_initial": 0.6},
        "idoc": {"ssn_missing": 0.6, "alias": 0.3},
        "idph": {"ssn_missing": 0.1},
        # youth: SSN rarely known, DOB almost always, nicknames and aliases common
        "djj": {"ssn_missing": 0.7, "missing_dob": 0.002, "nickname": 0.08, "alias": 0.2},
        # veterans: the VA keys its files by SSN; DD-214 dates of birth are verified
        "idva": {"ssn_missing": 0.02, "missing_dob": 0.001},
        # energy assistance and training: SSNs asked of adults (children's often not
        # listed, which the emitter models), DOB required on the application
        "dceo": {"ssn_missing": 0.08, "missing_dob": 0.002},
        # UI claims: no claim without an SSN (and a borrowed one would break the grain)
        "ides_ui": {"ssn_missing": 0.0, "ssn_shared_in_family": 0.0, "missing_dob": 0.001},
    }


@dataclass(frozen=True)
class SynthParams(Bounded):
    seed: int = 20261128
    persons: int = bounded(100_000, ge=1)
    start_year: int = 2000
    end_year: int = 2024
    errors: ErrorRates = field(default_factory=ErrorRates)
    #: per-agency overrides of the error rates, e.g. {"ides": {"ssn_missing": 0.0}}
    agency_errors: dict[str, dict[str, float]] = field(default_factory=_default_agency_errors)
    #: agencies whose last month of the world comes as its own monthly delivery
    #: (``separate``: ``landing/<agency>/<YYYY-MM>/``) or not yet (``held``: left out);
    #: unnamed agencies deliver it in their first extract (docs/deliveries.md)
    last_month: dict[str, Literal["separate", "held"]] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestParams(Bounded):
    #: what to do with exact duplicate rows: keep the first, quarantine the rest
    duplicate_rule: Literal["quarantine_repeats", "keep_all"] = "quarantine_repeats"
    #: share of data rows that may be structurally malformed (wrong field count, wrong
    #: line length, stray quote, blank line) before the whole delivery is refused
    max_malformed_share: float = share(0.5)
    #: lines validated at a time: peak memory follows a batch, not the delivery (about
    #: 2 GB at a million IDHS lines, for a 0.3 or a 3 GB file; 0.5M or 2M were no
    #: faster); the whole-file checks (duplicates, grain, malformed share) span batches
    batch_rows: int = bounded(1_000_000, ge=1)


@dataclass(frozen=True)
class LinkageParams(Bounded):
    backend: Literal["duckdb", "spark"] = "duckdb"
    #: match probability at or above which two identity records are the same person
    #: (0.3: pairwise F1 0.998 and cluster F1 0.970 on the 100k world, twins and Jr/Sr
    #: kept apart >= 0.98; docs/linkage.md has the table by threshold)
    threshold: float = share(0.3)
    #: threshold for a birth record's parent to be linked to a person
    family_threshold: float = share(0.9)
    em_max_iterations: int = bounded(25, ge=1)
    seed: int = 7
    #: DuckDB threads for linking (the enclave's machines have two cores)
    threads: int = bounded(2, ge=1)
    #: memory budget of the link stage in GiB: the SQL engine (DuckDB) gets what the
    #: process does not already hold, less a margin (enclave.linkage.backend); unset,
    #: 30% of the machine's memory
    memory_gb: float | None = bounded(None, ge=1.0, why="the link needs at least 1 GiB")
    #: random record pairs sampled to estimate u probabilities
    u_max_pairs: float = bounded(2_000_000.0, ge=1)
    #: cap on blocked pairs per EM training pass (deterministic hash sample)
    em_max_pairs: float = bounded(2_000_000.0, ge=1)
    #: lowest match probability kept as an edge (the precision-recall curve starts here)
    edge_floor: float = share(0.2)
    #: youngest age at which an agency's records can be about a person (covered wages
    #: before 14 are implausible): a link to a record born after that is dropped
    min_age: dict[str, int] = field(default_factory=lambda: {"ides": 14})


@dataclass(frozen=True)
class DeidParams(Bounded):
    #: projects approved in the agreement; each gets its own pseudonyms
    projects: tuple[str, ...] = ("demo",)
    #: birth date kept in demographics: year and month, or year only
    dob_precision: Literal["year_month", "year"] = "year_month"
    #: geography of content: county FIPS, or the coarser regions of enclave.geography
    geography: Literal["county", "region"] = "county"
    #: keep content dates to the day (false: every date cut to its month)
    keep_service_dates: bool = True
    #: smallest equivalence class over (birth year-month, sex, latest county)
    k_min: int = bounded(
        5, ge=2, why="k-anonymity below 2 is no protection; the agreement may only raise it"
    )


@dataclass(frozen=True)
class BuildParams(Bounded):
    #: months of gap tolerated inside one program spell
    spell_gap_months: int = bounded(1, ge=0)


@dataclass(frozen=True)
class DisclosureParams(Bounded):
    #: smallest count shown; 1 or more (the agreement's agency rules may only raise it)
    min_cell: int = bounded(10, ge=1, why="a minimum cell below 1 suppresses nothing")


#: a study's name: a notebook under notebooks/ and a folder under outputs/
STUDY_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
#: a parameter's name in a study section (a Python identifier in the notebook)
PARAMETER = re.compile(r"[a-z_][a-z0-9_]*")
#: parameters a study section may not set: the runner injects them (the rules are the
#: agreement's, and outputs go where the stage says)
RESERVED = ("min_cell", "output_dir")


class StudyParams:
    """One study's section of params.yaml: its ``project``, then the notebook's own
    parameters, which are checked against the notebook's ``parameters`` cell when the
    study runs (:func:`enclave.studies.parameters.check`), not against a class here: a
    new study needs no code change. Values are scalars or lists of scalars (tuples);
    attribute access reads them (``section.period_start``)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_values", dict(values))

    @property
    def project(self) -> str:
        return self._values["project"]

    @property
    def notebook(self) -> str:
        """The notebook the study runs (``notebooks/<notebook>.ipynb``): one notebook may
        serve several studies with different parameters."""
        return self._values["notebook"]

    def parameters(self) -> dict[str, Any]:
        """What the notebook receives: every value but ``notebook``."""
        return {k: v for k, v in self.to_mapping().items() if k != "notebook"}

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StudyParams) and other._values == self._values

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, str(v)) for k, v in self._values.items())))

    def __repr__(self) -> str:
        return f"StudyParams({self._values!r})"

    def __deepcopy__(self, memo: dict) -> StudyParams:
        return self

    def to_mapping(self) -> dict[str, Any]:
        return _plain(self._values)


class StudiesParams:
    """``studies``: study name -> :class:`StudyParams` (``params.studies.<name>``)."""

    __slots__ = ("_sections",)

    def __init__(self, sections: Mapping[str, StudyParams] | None = None) -> None:
        object.__setattr__(self, "_sections", dict(sections or {}))

    def __getattr__(self, name: str) -> StudyParams:
        try:
            return self._sections[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __iter__(self):
        return iter(self._sections)

    def __contains__(self, name: object) -> bool:
        return name in self._sections

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StudiesParams) and other._sections == self._sections

    def __hash__(self) -> int:
        return hash(tuple(self._sections))

    def __repr__(self) -> str:
        return f"StudiesParams({sorted(self._sections)})"

    def __deepcopy__(self, memo: dict) -> StudiesParams:
        return self

    def items(self):
        return self._sections.items()

    def to_mapping(self) -> dict[str, Any]:
        return {name: section.to_mapping() for name, section in self._sections.items()}


def _study_value(value: Any, where: str) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()  # an unquoted date, as `dvc exp run -S` writes one
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return tuple(_study_value(v, f"{where}[{i}]") for i, v in enumerate(value))
    raise ConfigError(f"'{where}': a study parameter is a number, text, true/false or a list")


def _convert_studies(value: Any, where: str) -> StudiesParams:
    if value is None:
        return StudiesParams()
    if not isinstance(value, Mapping):
        raise ConfigError(f"'{where}': expected a mapping, got {type(value).__name__}")
    sections = {}
    for name, raw in value.items():
        here = f"{where}.{name}"
        if not isinstance(name, str) or not STUDY_NAME.fullmatch(name):
            raise ConfigError(f"'{here}': a study name is lower-case letters, digits and _")
        if not isinstance(raw, Mapping):
            raise ConfigError(f"'{here}': expected a mapping, got {type(raw).__name__}")
        if not isinstance(raw.get("project"), str):
            raise ConfigError(f"missing key '{here}.project' (the approved project it reads)")
        notebook = raw.get("notebook", name)
        if not isinstance(notebook, str) or not STUDY_NAME.fullmatch(notebook):
            raise ConfigError(f"'{here}.notebook': the name of a notebook under notebooks/")
        raw = {**raw, "notebook": notebook}
        values = {}
        for key, item in raw.items():
            if not isinstance(key, str) or not PARAMETER.fullmatch(key):
                raise ConfigError(f"'{here}.{key}': not a parameter name")
            if key in RESERVED:
                raise ConfigError(
                    f"'{here}.{key}': set by the study runner, not by a study ("
                    + (
                        "the agreement's rules apply; disclosure.min_cell may only raise them"
                        if key == "min_cell"
                        else "outputs go to outputs/<study>"
                    )
                    + ")"
                )
            values[key] = _study_value(item, f"{here}.{key}")
            share = any(w in key for w in ("probability", "share"))
            if share and isinstance(values[key], int | float) and not 0 <= values[key] <= 1:
                raise ConfigError(f"'{here}.{key}' must lie in [0, 1], got {values[key]:g}")
        sections[name] = StudyParams(values)
    return StudiesParams(sections)


@dataclass(frozen=True)
class Params:
    agencies: tuple[str, ...] = AGENCIES
    synth: SynthParams = field(default_factory=SynthParams)
    ingest: IngestParams = field(default_factory=IngestParams)
    linkage: LinkageParams = field(default_factory=LinkageParams)
    deid: DeidParams = field(default_factory=DeidParams)
    build: BuildParams = field(default_factory=BuildParams)
    disclosure: DisclosureParams = field(default_factory=DisclosureParams)
    #: study name -> its section; see :class:`StudyParams`
    studies: StudiesParams = field(default_factory=StudiesParams)


# --------------------------------------------------------------------------- loading


def load(path: str | Path = "params.yaml") -> Params:
    """Read ``params.yaml`` into :class:`Params`, failing on any unknown or mistyped key."""
    path = Path(path)
    return from_mapping(read_yaml(path) or {}, source=str(path))


def from_mapping(raw: Mapping[str, Any], source: str = "params") -> Params:
    """Build :class:`Params` from an already parsed mapping."""
    try:
        params = _convert(Params, raw, "")
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    unknown = set(params.agencies) - set(AGENCIES)
    if unknown:
        raise ConfigError(f"{source}: unknown agency in 'agencies': {sorted(unknown)}")
    unknown = set(params.synth.last_month) - set(AGENCIES)
    if unknown:
        raise ConfigError(f"{source}: unknown agency in 'synth.last_month': {sorted(unknown)}")
    return params


def parse(cls: type, raw: Any, source: str) -> Any:
    """Build the frozen dataclass ``cls`` from parsed YAML, as strictly as params.yaml is
    read (unknown, missing, mistyped or out-of-bounds keys are a :class:`ConfigError`
    naming ``source`` and the key's dotted path). Used for governance files too."""
    try:
        return _convert(cls, raw if raw is not None else {}, "")
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def read_yaml(path: Path) -> Any:
    """Parsed YAML of ``path``; a missing or malformed file is a :class:`ConfigError`."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({type(exc).__name__})") from None


def to_mapping(params: Any) -> dict[str, Any]:
    """The plain-data form of a params object (tuples become lists), e.g. for papermill."""
    if isinstance(params, StudiesParams | StudyParams):
        return params.to_mapping()
    return _plain(dataclasses.asdict(params))


def _plain(value: Any) -> Any:
    if isinstance(value, StudiesParams | StudyParams):
        return value.to_mapping()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _convert(tp: Any, value: Any, where: str) -> Any:
    name = where or "params"
    if tp is StudiesParams:
        return _convert_studies(value, where)
    if dataclasses.is_dataclass(tp):
        return _convert_dataclass(tp, value, where)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"'{name}' must be one of {list(args)}")
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, where)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"'{name}': expected a list, got {type(value).__name__}")
        return tuple(_convert(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"'{name}': expected a mapping, got {type(value).__name__}")
        return {
            _convert(args[0], k, f"{where}.{k}"): _convert(args[1], v, f"{where}.{k}")
            for k, v in value.items()
        }
    return _convert_scalar(tp, value, name)


def _convert_scalar(tp: Any, value: Any, name: str) -> Any:
    if tp is str and isinstance(value, datetime.date):
        # YAML reads an unquoted 2019-01-01 (as `dvc exp run -S` writes it) as a date
        return value.isoformat()
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, bool):
        raise ConfigError(f"'{name}': expected int, got bool")
    if not isinstance(value, tp):
        raise ConfigError(f"'{name}': expected {tp.__name__}, got {type(value).__name__}")
    return value


def _convert_dataclass(cls: Any, value: Any, where: str) -> Any:
    if not isinstance(value, Mapping):
        raise ConfigError(f"'{where or 'params'}': expected a mapping, got {type(value).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    prefix = f"{where}." if where else ""
    for key in value:
        if key not in fields:
            raise ConfigError(f"unknown key '{prefix}{key}'")
    kwargs = {}
    for name, f in fields.items():
        if name in value:
            kwargs[name] = _convert(hints[name], value[name], f"{prefix}{name}")
            _check_bounds(f, kwargs[name], f"{prefix}{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"missing key '{prefix}{name}'")
    return cls(**kwargs)


def _check_bounds(f: dataclasses.Field, value: Any, name: str) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return
    ge, le = f.metadata.get("ge"), f.metadata.get("le")
    why = f"; {f.metadata['why']}" if f.metadata.get("why") else ""
    if ge is not None and value < ge:
        raise ConfigError(f"'{name}' must be at least {ge:g}, got {value:g}{why}")
    if le is not None and value > le:
        raise ConfigError(f"'{name}' must be at most {le:g}, got {value:g}{why}")
