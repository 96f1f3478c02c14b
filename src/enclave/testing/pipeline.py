"""The pipeline's stages as ``enclave`` command lines, in ``dvc.yaml``'s order, for
running a world outside DVC: the test suite's small world (``tests/world.py``) and the
whole-pipeline benchmark (``benchmarks/bench_pipeline.py``). Paths are relative to the
world's root, as ``dvc.yaml`` writes them.

>>> from enclave import config
>>> names = [name for name, _ in stage_commands(config.Params())]
>>> names[:3], set(names) == set(DATA_STAGES)  # the default params name no study
(['synthesize', 'validate', 'validate'], True)
"""

from __future__ import annotations

from enclave import config

#: the stages up to the analytic tables, which every study reads
DATA_STAGES = ("synthesize", "validate", "link", "evaluate_linkage", "deidentify", "build")


def stage_commands(params: config.Params, studies: bool = True) -> list[tuple[str, list[str]]]:
    """``(stage, argv)`` for every command of every stage; with ``studies``, each study
    of ``params.studies`` and its output check too."""
    steps: list[tuple[str, list[str]]] = [("synthesize", ["synthesize"])]
    for a in params.agencies:
        argv = ["validate", a, "--landing", f"data/landing/{a}", "--staged", f"data/staged/{a}"]
        argv += ["--quarantine", f"data/quarantine/{a}", "--report", f"reports/validation/{a}.json"]
        steps.append(("validate", argv))
    steps.append(("link", ["link", "--staged", "data/staged", "--out", "data/linkage"]))
    steps.append(("evaluate_linkage", ["evaluate-linkage"]))
    for project in params.deid.projects:
        base, analytic = f"data/research/{project}/base", f"data/research/{project}/analytic"
        report = f"reports/disclosure_risk/{project}.json"
        deidentify = ["deidentify", "--project", project, "--out", base, "--report", report]
        steps.append(("deidentify", [*deidentify, "--state", f"data/deid/{project}"]))
        steps.append(("build", ["build", "--project", project, "--base", base, "--out", analytic]))
    if studies:
        for name in params.studies:
            steps.append(("study", ["study", name, "--out", f"outputs/{name}"]))
            check = ["outputs", "check", f"outputs/{name}", "--study", name]
            steps.append(
                ("check_outputs", [*check, "--report", f"reports/output_check/{name}.json"])
            )
    return steps
