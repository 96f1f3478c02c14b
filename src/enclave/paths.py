"""Where each zone lives. One object, rooted at the project (or at ``ENCLAVE_ROOT``).

>>> p = Paths(Path("/srv/enclave"))
>>> p.staged("hfs")
PosixPath('/srv/enclave/data/staged/hfs')
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

ROOT_ENV = "ENCLAVE_ROOT"

#: a monthly delivery's folder, beside an agency's first extract in its landing,
#: staged and quarantine folders: the month it brings, ``YYYY-MM``
MONTH_FOLDER = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def months(folder: Path) -> list[str]:
    """The monthly deliveries in ``folder`` (its ``YYYY-MM`` subfolders), in order."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and MONTH_FOLDER.match(p.name))


def delivered(folder: Path, name: str) -> list[Path]:
    """An agency's file ``name`` of every delivery, in the order they came: the first
    extract's ``folder/name``, then each monthly delivery's ``folder/<YYYY-MM>/name``.

    Read together (``pl.scan_parquet(delivered(staged, "content.parquet"))``) they are
    the agency's staged table, in record-key order: a month's keys sort after the
    first extract's (``hfs-202412-000000001`` after ``hfs-000000001``).
    """
    folder = Path(folder)
    return [folder / name, *(folder / m / name for m in months(folder))]


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
