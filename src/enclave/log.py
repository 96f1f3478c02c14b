"""Logging for stages. Log counts and reason codes only, never a row value."""

from __future__ import annotations

import logging
import sys


def setup(level: int = logging.INFO) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )


def get(name: str) -> logging.Logger:
    return logging.getLogger(name)
