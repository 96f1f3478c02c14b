"""A small synthetic world run through every pipeline stage, for pipeline and notebook tests.

The world is built once per source tree and parameter set, under
``build/testworld/<digest>/``, and shared between pytest workers (a file lock
guards the build), so the pipeline tests and the nbmake run reuse one world.
Stages are called through the CLI, exactly as ``dvc repro`` calls them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import yaml
from filelock import FileLock

from enclave import cli, config
from enclave.testing.pipeline import DATA_STAGES, stage_commands

REPO = Path(__file__).resolve().parents[1]

#: small-world overrides of params.yaml (a few thousand persons, a short window)
SMALL = {"synth": {"persons": 3000, "start_year": 2005, "end_year": 2022}}

#: pipeline stages in order, each as the argument lists of its CLI calls
STAGES = DATA_STAGES


def small_params() -> dict:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    for section, values in SMALL.items():
        params[section] = {**params[section], **values}
    return params


#: what no stage up to ``build`` reads: studies run on the world, they do not shape it,
#: so editing a study (its code or its params section) reuses the built world
NOT_STAGES = ("studies", "disclosure")


def _digest(params: dict) -> str:
    stages = {k: v for k, v in params.items() if k not in NOT_STAGES}
    h = hashlib.sha256(yaml.safe_dump(stages, sort_keys=True).encode())
    sources = [*sorted((REPO / "src").rglob("*.py")), *sorted((REPO / "src").rglob("*.json"))]
    package = REPO / "src" / "enclave"
    sources = [p for p in sources if not any(p.is_relative_to(package / d) for d in NOT_STAGES)]
    sources += sorted(p for p in (REPO / "governance").rglob("*") if p.is_file())
    for path in sources:
        h.update(path.relative_to(REPO).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def build(upto: str = "build") -> Path:
    """The root of a small world run through every stage up to ``upto``.

    Stages already run for this source tree and these params are not run again.
    """
    params = small_params()
    root = REPO / "build" / "testworld" / _digest(params)
    root.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root) + ".lock"):
        if not (root / "params.yaml").exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
            # the agreement and project approvals sit beside params.yaml, as in the repo
            shutil.copytree(REPO / "governance", root / "governance")
        _run_stages(root, upto)
    return root


def _run_stages(root: Path, upto: str) -> None:
    typed = config.load(root / "params.yaml")
    last = STAGES.index(upto)
    for stage in STAGES[: last + 1]:
        marker = root / f".done-{stage}"
        if marker.exists():
            continue
        for name, argv in stage_commands(typed, studies=False):
            if name == stage:
                _call(root, stage, argv)
        marker.touch()


def _call(root: Path, stage: str, argv: list[str]) -> None:
    cwd = Path.cwd()
    os.chdir(root)
    try:
        code = cli.main([argv[0], "--params", "params.yaml", *argv[1:]])
    finally:
        os.chdir(cwd)
    if code:
        raise RuntimeError(f"stage {stage} failed with exit code {code}")


#: the service-overlap study's parameters for tests: the notebook's committed defaults,
#: written down here (never read from the live params.yaml, which an experiment such as
#: ``dvc exp run -S studies.service_overlap.period_start=...`` may change)
OVERLAP_STUDY = {
    "project": "demo",
    "period_start": "2019-01-01",
    "period_end": "2019-12-31",
    "min_match_probability": 0.9,
    "age_groups": [0, 18, 26, 45, 65],
    "top_combinations": 15,
}
