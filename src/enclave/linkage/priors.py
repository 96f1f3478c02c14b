"""Documented priors for the model's m and u probabilities, used where training cannot
estimate them.

A steward's input may be small, or lack a column: an EM pass then has too few pairs
and is skipped (:func:`enclave.linkage.model.train`), and a rare level may never be
seen among the random pairs that estimate u. Splink would then fall back on generic
defaults (m 0.95 on the first level, the rest shared out evenly), which say nothing
about names, dates of birth or SSNs. Instead such a level takes the value the model
learnt on the default synthetic world (100,000 persons, eight agencies): the file
``priors.json`` beside this module, one entry per comparison and level, in level order,
with the level's label so that a stale file is caught (:func:`apply_priors` refuses one
whose levels no longer match the model).

Rebuild the file after changing a comparison, from the staged default world::

    python -m enclave.linkage.priors data/staged/*
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from splink import Linker

PRIORS_FILE = Path(__file__).with_name("priors.json")


class StalePriorsError(RuntimeError):
    """``priors.json`` does not match the model's comparisons (a code fault)."""


def _levels(linker: Linker) -> dict[str, list]:
    comparisons = linker._settings_obj.comparisons
    return {
        c.output_column_name: [lv for lv in c.comparison_levels if not lv.is_null_level]
        for c in comparisons
    }


def model_values(linker: Linker) -> dict:
    """The m and u of every level as the model uses them, with each level's label."""
    prior = linker._settings_obj._probability_two_random_records_match
    return {
        "probability_two_random_records_match": prior,
        "comparisons": {
            name: [
                {"label": lv.label_for_charts, "m": lv.m_probability, "u": lv.u_probability}
                for lv in levels
            ]
            for name, levels in _levels(linker).items()
        },
    }


def load(path: Path = PRIORS_FILE) -> dict:
    return json.loads(Path(path).read_text())


def read_model(path: Path) -> dict:
    """A saved model (a linkage zone's ``model.json``, :func:`model_values`), checked
    before any work: an :class:`~enclave.errors.InputError` naming the file if it is
    missing, not JSON, not a model, or a model of other comparisons than this one's
    (the comparisons and level labels of ``priors.json``)."""
    from enclave.errors import InputError

    path = Path(path)
    if not path.is_file():
        raise InputError("link", path, "file not found")
    try:
        values = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        raise InputError("link", path, "not readable as JSON") from None
    try:
        labels = {n: [lv["label"] for lv in ls] for n, ls in values["comparisons"].items()}
        prior = float(values["probability_two_random_records_match"])
    except (KeyError, TypeError, AttributeError, ValueError):
        detail = "a linkage zone's model.json"
        raise InputError("link", path, "not a linkage model", detail) from None
    expected = {n: [lv["label"] for lv in ls] for n, ls in load()["comparisons"].items()}
    if labels != expected or not 0 < prior < 1:
        raise InputError(
            "link", path, "a model of other comparisons", "saved by another version: train again"
        )
    return values


def _matched(linker: Linker, values: dict) -> dict[str, list[tuple]]:
    """Each comparison's levels paired with their entries in ``values`` (a
    :func:`model_values` dict); :class:`StalePriorsError` if the labels differ."""
    table = values["comparisons"]
    matched = {}
    for name, levels in _levels(linker).items():
        known = table.get(name)
        if known is None or [k["label"] for k in known] != [lv.label_for_charts for lv in levels]:
            raise StalePriorsError(
                f"linkage model values: the levels of comparison {name!r} differ from the"
                " model's; rebuild priors.json (python -m enclave.linkage.priors)"
            )
        matched[name] = list(zip(levels, known, strict=True))
    return matched


def apply_priors(linker: Linker, priors: dict | None = None) -> list[str]:
    """Give every level whose m or u training left unset its prior; the levels set.

    A level that is fixed in the model keeps its value. Raises
    :class:`StalePriorsError` if a comparison's levels differ from the file's.
    """
    priors = load() if priors is None else priors
    applied = []
    for name, pairs in _matched(linker, priors).items():
        for level, prior in pairs:
            if not level._m_is_trained and not level._fix_m_probability:
                level.m_probability = prior["m"]
                applied.append(f"{name}: {level.label_for_charts} (m)")
            if not level._u_is_trained and not level._fix_u_probability:
                level.u_probability = prior["u"]
                applied.append(f"{name}: {level.label_for_charts} (u)")
    return applied


def set_values(linker: Linker, values: dict) -> None:
    """Make ``linker``'s model the trained one in ``values`` (a :func:`model_values`
    dict): the prior and every level's m and u. This is how a model trained on one
    engine scores on another, whose SQL differs (Splink's saved model is that SQL)."""
    linker._settings_obj._probability_two_random_records_match = values[
        "probability_two_random_records_match"
    ]
    for pairs in _matched(linker, values).values():
        for level, value in pairs:
            level.m_probability = value["m"]
            level.u_probability = value["u"]


def derive(inputs: list[Path], out: Path = PRIORS_FILE) -> dict:
    """Train the model on ``inputs`` (the default world's staged identifiers) and write
    every level's m and u as the priors."""
    from enclave.config import LinkageParams
    from enclave.linkage import identity, model
    from enclave.linkage.inputs import read_inputs

    params = LinkageParams()
    identities = identity.collapse([f.frame for f in read_inputs(inputs)], params.min_age)
    values = model.fit(identities.identities, params, use_priors=False)
    out.write_text(json.dumps(values, indent=1, sort_keys=False) + "\n")
    return values


if __name__ == "__main__":
    derive([Path(p) for p in sys.argv[1:]])
