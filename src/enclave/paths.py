"""Where each zone lives. One object, rooted at the project (or at ``ENCLAVE_ROOT``).

>>> p = Paths(Path("/srv/enclave"))
>>> p.staged("hfs")
PosixPath('/srv/enclave/data/staged/hfs')
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT_ENV = "ENCLAVE_ROOT"


@dataclass(frozen=True)
class Paths:
    root: Path

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Paths:
        """The project root from ``ENCLAVE_ROOT``, else the current directory."""
        env = os.environ if environ is None else environ
        return cls(Path(env.get(ROOT_ENV, ".")).resolve())

    @property
    def data(self) -> Path:
        return self.root / "data"

    def landing(self, agency: str) -> Path:
        return self.data / "landing" / agency

    @property
    def truth(self) -> Path:
        return self.data / "truth"

    def staged(self, agency: str) -> Path:
        return self.data / "staged" / agency

    def quarantine(self, agency: str) -> Path:
        return self.data / "quarantine" / agency

    @property
    def linkage(self) -> Path:
        return self.data / "linkage"

    def research(self, project: str) -> Path:
        return self.data / "research" / project

    def base(self, project: str) -> Path:
        """De-identified agency content of one project (written by ``deidentify``)."""
        return self.research(project) / "base"

    def analytic(self, project: str) -> Path:
        return self.research(project) / "analytic"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def outputs(self, study: str) -> Path:
        return self.root / "outputs" / study

    @property
    def params_file(self) -> Path:
        return self.root / "params.yaml"
