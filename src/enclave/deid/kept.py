"""What a project's de-identification keeps, so that a month is folded in, not redone.

With a state folder (``enclave deidentify --state data/deid/<project>``), a run keeps
there, in the trusted zone, what its first step made: each agency's records
pseudonymised but not yet generalised, per pid bucket; each person's counts of dates
of birth and sexes; the leak reference; and ``state.json``, what they were made from.
The next run, when only monthly deliveries are new and the linkage zone only added
their records (:func:`previous`), pseudonymises the month's records alone and adds
them to what it kept; the quasi-identifiers, k-anonymity and the files of the
research zone are then computed from everything kept, as a full run computes them
from everything it read. So the zone is the one a full run writes, byte for byte
(``tests/pipeline/test_monthly_delivery.py``), and what a month costs beyond its own
records is the global part: k-anonymity over every person and writing the zone.

The state folder holds exact dates of birth (as counts per pid): it belongs to the
trusted zone, is closed to group and others (mode 0700), and is never mounted in a
research sandbox. Anything but new months (a changed extract, a full linkage, other
parameters, other code, another key) runs in full and keeps a new state.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from enclave import io, paths
from enclave.config import DeidParams
from enclave.deid.leakscan import LeakReference

STATE = "state.json"
#: the leak reference's two tables, kept beside the spill
REFERENCE_IDS, REFERENCE_NAMES = "_reference_ids.parquet", "_reference_name_dob.parquet"
#: the pids holding a provisioned record
PRESENT = "_present.parquet"
#: each person's quasi-identifiers as released, with the generalisation level
GENERALISED = "_generalised.parquet"
#: the one delivery of an agency that is not a month
EXTRACT = "extract"


@dataclass(frozen=True)
class Prior:
    """A state that the new deliveries can be folded into."""

    state: dict
    #: per agency, the new deliveries (``YYYY-MM``)
    new: dict[str, list[str]]
    #: the next spill files' prefix (one per run, so no name is used twice)
    run: int


def fingerprint(project: str, params: DeidParams, scope: object, key: bytes) -> str:
    """What the kept records depend on besides the inputs: the project, its parameters
    and approval scope, the code, and the key (as a check value, never the key)."""
    from enclave import contracts, geography, parallel
    from enclave.analytic import records

    check = hmac.digest(key, b"enclave deid state", hashlib.sha256).hex()
    text = repr((project, sorted(dataclasses.asdict(params).items()), repr(scope), check))
    package = Path(__file__).parent
    code = [*sorted(package.glob("*.py")), Path(records.__file__), Path(geography.__file__)]
    code += [Path(parallel.__file__), Path(contracts.__file__).parent / "base.py"]
    return io.code_digest(text, code)


def staged_deliveries(staged: Path, agencies: list[str]) -> dict[str, dict[str, str]] | None:
    """Per agency, each delivery's name and what validation staged it from (the landing
    file's SHA-256 and validation's fingerprint, from ``deliveries.json``); None where an
    agency has no such record (staged by hand: only a full run knows what it read)."""
    found = {}
    for agency in agencies:
        record = Path(staged) / agency / "deliveries.json"
        if not record.is_file():
            return None
        try:
            deliveries = io.read_json(record)["deliveries"]
            found[agency] = {
                name: f"{d['sha256']}:{d['fingerprint']}" for name, d in deliveries.items()
            }
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if set(found[agency]) != {EXTRACT, *paths.months(Path(staged) / agency)}:
            return None
    return found


def linkage_record(linkage: Path) -> dict | None:
    """The linkage zone's fingerprint, inputs and months linked alone (``state.json``,
    ``report.json``); None if it has none (then no month can be folded in)."""
    try:
        state = io.read_json(Path(linkage) / "state.json")
        report = io.read_json(Path(linkage) / "report.json")
        return {
            "fingerprint": state["fingerprint"],
            "inputs": {e["file"]: e["sha256"] for e in state["inputs"]},
            "monthly": [sorted(m["deliveries"]) for m in report.get("monthly", [])],
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None


def current(fingerprint: str, staged: Path, linkage: Path, agencies: list[str]) -> dict | None:
    """What ``state.json`` records of a run on these inputs; None if they cannot be told
    apart from others (then the run is full and keeps no state)."""
    deliveries = staged_deliveries(staged, agencies)
    linked = linkage_record(linkage)
    if deliveries is None or linked is None:
        return None
    return {"fingerprint": fingerprint, "deliveries": deliveries, "linkage": linked}


def previous(folder: Path, now: dict) -> Prior | None:
    """The kept state in ``folder`` if ``now`` differs from it by monthly deliveries only,
    which the linkage zone linked alone against the zone the state was made from."""
    try:
        earlier = io.read_json(Path(folder) / STATE)
        before = earlier["deliveries"]
        link_before = earlier["linkage"]
        runs = int(earlier["runs"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if earlier.get("fingerprint") != now["fingerprint"] or set(before) != set(now["deliveries"]):
        return None
    new: dict[str, list[str]] = {}
    for agency, delivered in now["deliveries"].items():
        kept = before[agency]
        if any(delivered.get(name) != record for name, record in kept.items()):
            return None  # a delivery read before is gone or changed
        added = sorted(set(delivered) - set(kept))
        if not all(paths.MONTH_FOLDER.match(name) for name in added):
            return None
        if added:
            new[agency] = added
    link_now = now["linkage"]
    if link_now["fingerprint"] != link_before["fingerprint"]:
        return None
    inputs_before, inputs_now = link_before["inputs"], link_now["inputs"]
    if any(inputs_now.get(f) != sha for f, sha in inputs_before.items()):
        return None
    # the files linked since: exactly the months the linkage zone linked alone, last
    linked_since = sorted(set(inputs_now) - set(inputs_before))
    months = link_now["monthly"]
    alone = [f for entry in months[len(months) - _trailing(months, linked_since) :] for f in entry]
    if sorted(alone) != linked_since:
        return None
    return Prior(state=earlier, new=new, run=runs + 1)


def _trailing(months: list[list[str]], files: list[str]) -> int:
    """How many of the last monthly entries hold exactly ``files`` together (0 if none)."""
    wanted, seen = set(files), set()
    for count, entry in enumerate(reversed(months), start=1):
        seen |= set(entry)
        if seen == wanted:
            return count
        if not seen <= wanted:
            break
    return 0


def save(folder: Path, now: dict, run: int) -> None:
    io.write_json({**now, "runs": run}, Path(folder) / STATE)


def keep_reference(reference: LeakReference, present: pl.Series, folder: Path) -> None:
    io.write_parquet(reference.agency_ids.to_frame("agency_id"), folder / REFERENCE_IDS)
    io.write_parquet(reference.name_dob, folder / REFERENCE_NAMES)
    io.write_parquet(present.to_frame("pid"), folder / PRESENT)


def kept_reference(folder: Path) -> tuple[LeakReference, pl.Series]:
    ids = pl.read_parquet(folder / REFERENCE_IDS).get_column("agency_id")
    reference = LeakReference(agency_ids=ids, name_dob=pl.read_parquet(folder / REFERENCE_NAMES))
    return reference, pl.read_parquet(folder / PRESENT).get_column("pid")


def keep_generalised(generalised: pl.DataFrame, folder: Path) -> None:
    io.write_parquet(generalised, folder / GENERALISED)


def changed_persons(folder: Path, generalised: pl.DataFrame) -> tuple[int, int]:
    """Persons whose released quasi-identifiers differ from the kept run's, and persons
    new since: how far a month reaches into what was released before (k-anonymity is
    over everyone, and a person's latest county is a quasi-identifier)."""
    path = folder / GENERALISED
    if not path.is_file():
        return 0, generalised.height
    before = pl.read_parquet(path)
    both = generalised.join(before, on="pid", how="inner", suffix="_before")
    columns = [c for c in generalised.columns if c != "pid"]
    differs = pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}_before")) for c in columns)
    changed = both.select(differs.sum()).item()
    return int(changed), generalised.height - both.height
