"""Errors a stage reports to its user. Messages name files, agencies, columns and
reason codes, never a row value."""

from __future__ import annotations

from pathlib import Path


class EnclaveError(Exception):
    """A failure the CLI reports as one clear line and a non-zero exit."""

    exit_code = 2


class InputError(EnclaveError):
    """A delivery that cannot be read as its contract says (a file-level fault)."""

    def __init__(self, agency: str, path: Path | str, fault: str, detail: str = ""):
        self.agency, self.path, self.fault = agency, str(path), fault
        message = f"agency {agency}: file {path}: {fault}"
        super().__init__(f"{message} ({detail})" if detail else message)


class LeakError(EnclaveError):
    """A direct identifier was found where it must never be."""

    def __init__(self, path: Path | str, column: str, kind: str):
        self.path, self.column, self.kind = str(path), column, kind
        super().__init__(f"identifier leak: {kind} in file {path}, column {column}")
