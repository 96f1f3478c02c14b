"""Minimal governance files for a test or demo root: an agreement with one party per
staged extract plus the operator, and one provisioned project using every dataset.

For roots built without the repository (a fixture research zone, a benchmark): the
repository's own ``governance/`` is the real agreement.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from enclave.governance.agreement import AGREEMENT_FILE
from enclave.governance.projects import PROJECTS_DIR

PURPOSE = "strategic policymaking"
#: the output checkers of a test agreement (they review exports)
OUTPUT_CHECKERS = ("olu_checker", "pat_checker", "rae_checker")


def write_terms(
    root: Path, project: str = "demo", users: tuple[str, ...] = ("ana_researcher",)
) -> None:
    """Write ``governance/agreement.yaml`` and ``governance/projects/<project>.yaml``
    under ``root``, unless an agreement is there already."""
    from enclave import contracts

    root = Path(root)
    if (root / AGREEMENT_FILE).exists():
        return
    datasets = sorted(contracts.ALL)
    parties = {
        code: {
            "name": contracts.ALL[code].agency_name,
            "steward_role": f"{code} data steward",
            "stewards": [f"{code}_steward"],
            "datasets": [code],
        }
        for code in datasets
    }
    parties["doit"] = {
        "name": "Department of Innovation and Technology",
        "steward_role": "enclave operator",
        "stewards": ["doit_operator"],
        "operator": True,
    }
    agreement = {
        "title": "Test agreement",
        "signed": "2026-01-01",
        "purposes": [PURPOSE],
        "parties": parties,
        "output_checkers": list(OUTPUT_CHECKERS),
    }
    request = {
        "title": "Test project",
        "purpose": PURPOSE,
        "lead": users[0],
        "members": list(users),
        "datasets": datasets,
        "period_start": "1900-01-01",  # every record: a test zone is not minimised
        "period_end": "2099-12-31",
        "start": "2000-01-01",
        "expiry": "2099-12-31",
        "approvals": {c: {"by": f"{c}_steward", "date": "2026-01-01"} for c in datasets},
    }
    (root / PROJECTS_DIR).mkdir(parents=True, exist_ok=True)
    (root / AGREEMENT_FILE).write_text(yaml.safe_dump(agreement, sort_keys=False))
    (root / PROJECTS_DIR / f"{project}.yaml").write_text(yaml.safe_dump(request, sort_keys=False))
