"""The enterprise agreement (``governance/agreement.yaml``) as typed, checked data.

One memorandum of understanding, thirteen parties. For each party the agreement names
the datasets it contributes (contract names, :mod:`enclave.contracts`), the steward
role and the user names that may sign for it, its statistical disclosure rules, and
how long research zones built from its data may be kept. It also lists the purposes
a project may serve.

The file is read as strictly as ``params.yaml`` (:func:`enclave.config.parse`), then
checked as a whole: every dataset is a known contract, contributed by one party only;
every staged extract has a party; exactly one party operates the enclave.

>>> a = load()
>>> len(a.parties), a.operator
(13, 'doit')
>>> a.strictest(["hfs", "idhs"]).min_cell
11
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from enclave.config import AGENCIES, Bounded, ConfigError, bounded, parse, read_yaml, share

#: where the governance files live, relative to the project root
GOVERNANCE_DIR = Path("governance")
AGREEMENT_FILE = GOVERNANCE_DIR / "agreement.yaml"


@dataclass(frozen=True)
class DisclosureRules(Bounded):
    """One party's statistical disclosure rules (docs/governance.md)."""

    #: smallest count an output may show
    min_cell: int = bounded(10, ge=1)
    #: fewest persons behind a mean, percentile, rate or share
    min_group: int = bounded(10, ge=1)
    #: rounding of every count shown
    rounding: Literal["none", "base5", "base10", "random3"] = "none"
    #: (n, k) dominance: the n largest contributors may hold at most k of a total
    dominance_n: int = bounded(2, ge=1)
    dominance_k: float = share(0.9)
    #: p% rule: no contributor may be estimated by another to within p of its value
    p_percent: float = share(0.1)


#: rounding rules from the weakest to the strictest
ROUNDING_ORDER = ("none", "base5", "random3", "base10")


@dataclass(frozen=True)
class Party(Bounded):
    name: str
    steward_role: str
    #: user names that may sign a project's use of this party's data
    stewards: tuple[str, ...]
    #: extracts the party contributes, by contract name (none yet for some parties)
    datasets: tuple[str, ...] = ()
    disclosure: DisclosureRules = field(default_factory=DisclosureRules)
    retention_years: int = bounded(7, ge=1)
    #: the party that runs the enclave (it contributes no data of its own)
    operator: bool = False


@dataclass(frozen=True)
class Agreement:
    title: str
    #: the date it was signed (ISO)
    signed: str
    #: what a project may be for (the eMOU's three)
    purposes: tuple[str, ...]
    #: party code -> party
    parties: dict[str, Party]
    #: user names of the operator's output checkers, who review exports (the airlock,
    #: :mod:`enclave.disclosure.airlock`): two of them approve each release
    output_checkers: tuple[str, ...]
    #: the operator's service account that runs approved studies in the pipeline
    pipeline_account: str = "enclave-pipeline"

    @property
    def operator(self) -> str:
        return next(code for code, p in self.parties.items() if p.operator)

    def party_of(self, dataset: str) -> str:
        """The code of the party contributing ``dataset``."""
        for code, party in self.parties.items():
            if dataset in party.datasets:
                return code
        raise KeyError(dataset)

    @property
    def datasets(self) -> dict[str, str]:
        """Every dataset of the agreement -> its party's code."""
        return {d: code for code, p in self.parties.items() for d in p.datasets}

    def strictest(self, parties: Iterable[str]) -> DisclosureRules:
        """The strictest rule of each kind over ``parties`` (all of them if empty)."""
        rules = [self.parties[p].disclosure for p in (list(parties) or self.parties)]
        return DisclosureRules(
            min_cell=max(r.min_cell for r in rules),
            min_group=max(r.min_group for r in rules),
            rounding=max((r.rounding for r in rules), key=ROUNDING_ORDER.index),
            dominance_n=max(r.dominance_n for r in rules),
            dominance_k=min(r.dominance_k for r in rules),
            p_percent=max(r.p_percent for r in rules),
        )


def load(path: Path | str | None = None, root: Path | None = None) -> Agreement:
    """Read and check the agreement (default: ``governance/agreement.yaml`` under
    ``root``, itself the current directory by default)."""
    path = Path(path) if path is not None else Path(root or ".") / AGREEMENT_FILE
    agreement = parse(Agreement, read_yaml(path), str(path))
    check(agreement, str(path))
    return agreement


def check(agreement: Agreement, source: str) -> None:
    """The whole-agreement rules a single key cannot express."""
    # the contracts' names (``contracts.ALL`` has one per agency, in this order), without
    # importing the contracts (pandera: half a second of every study's start)
    known = set(AGENCIES)
    seen: dict[str, str] = {}
    for code, party in agreement.parties.items():
        for dataset in party.datasets:
            if dataset not in known:
                raise ConfigError(
                    f"{source}: 'parties.{code}.datasets': unknown dataset {dataset!r}"
                    f" (contracts: {sorted(known)})"
                )
            if dataset in seen:
                raise ConfigError(
                    f"{source}: 'parties.{code}.datasets': {dataset!r} is already"
                    f" contributed by {seen[dataset]}"
                )
            seen[dataset] = code
        if not party.stewards:
            raise ConfigError(f"{source}: 'parties.{code}.stewards': at least one user name")
    missing = sorted(known - set(seen))
    if missing:
        raise ConfigError(f"{source}: 'parties': no party contributes {missing}")
    operators = [code for code, p in agreement.parties.items() if p.operator]
    if len(operators) != 1:
        raise ConfigError(f"{source}: 'parties': exactly one operator, found {operators}")
    if not agreement.purposes:
        raise ConfigError(f"{source}: 'purposes': at least one")
    if len(set(agreement.output_checkers)) < 2:  # a release needs two distinct reviewers
        raise ConfigError(f"{source}: 'output_checkers': at least two user names")


def check_min_cell(
    min_cell: int, agreement: Agreement, parties: Iterable[str], key: str = "disclosure.min_cell"
) -> None:
    """A minimum cell below the strictest rule of the parties whose data is shown is a
    :class:`ConfigError` naming the key: the agreement may only be made stricter."""
    parties = sorted(parties)
    floor = agreement.strictest(parties).min_cell
    if min_cell < floor:
        whose = [p for p in parties if agreement.parties[p].disclosure.min_cell == floor]
        raise ConfigError(
            f"'{key}' is {min_cell}, below the agreement's minimum cell {floor} for the data "
            f"of {', '.join(whose)}; raise it to {floor} or more"
        )


def rules_table(agreement: Agreement) -> list[dict]:
    """Each party's disclosure rules as plain rows (for ``enclave governance``)."""
    return [
        {"party": code, **dataclasses.asdict(p.disclosure)}
        for code, p in sorted(agreement.parties.items())
    ]
