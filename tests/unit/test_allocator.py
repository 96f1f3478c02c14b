"""The allocator setting reaches polars only where it is set before polars loads: the
``enclave`` command sets it for validate, deidentify and build, and importing the package or the
command does not load polars first."""

from __future__ import annotations

import os
import subprocess
import sys

from enclave import allocator

PROBE = """
import os, sys
from enclave import allocator, cli
before = 'polars' in sys.modules
took = allocator.reuse_freed_pages()
import polars
print(before, took, allocator.reuse_freed_pages(), os.environ['_RJEM_MALLOC_CONF'])
"""


def _run(code: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"} | env
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True
    )
    return done.stdout.strip()


def test_the_setting_is_made_before_polars_loads_and_polars_keeps_it_last():
    before, took, again, conf = _run(PROBE).split()
    assert (before, took, again) == ("False", "True", "False")
    # polars puts its own options first, so ours (later) win
    assert conf.endswith(allocator.REUSE_FREED_PAGES) and conf != allocator.REUSE_FREED_PAGES


def test_a_value_already_in_the_environment_is_kept():
    conf = _run(PROBE, _RJEM_MALLOC_CONF="dirty_decay_ms:1").split()[-1]
    assert conf.endswith("dirty_decay_ms:1")


def test_polars_own_default_inherited_from_a_parent_is_replaced():
    """A process that loads polars puts polars' defaults in its environment, and its
    children (a stage run by a benchmark or a test) inherit them: they are no choice."""
    loaded = _run("import os, polars; print(os.environ['_RJEM_MALLOC_CONF'])")
    assert loaded == allocator.POLARS_DEFAULT  # what a parent that loaded polars passes on
    conf = _run(PROBE, _RJEM_MALLOC_CONF=loaded).split()[-1]
    assert conf.endswith(allocator.REUSE_FREED_PAGES)


def test_the_command_asks_for_it_for_validate_deidentify_and_build_only():
    code = (
        "import sys\nfrom enclave import cli\n"
        "cli.allocator.reuse_freed_pages = lambda: print('reuse')\n"
        "cli.cmd_{0} = cli.cmd_link = lambda args: 0\n"
    )
    commands = ("validate", "reuse"), ("deidentify", "reuse"), ("build", "reuse"), ("link", "")
    for command, expected in commands:
        args = {
            "validate": "hfs --landing l --staged s --quarantine q --report r",
            "deidentify": "--project p --out o --report r",
            "build": "--base b --out o",
        }
        argv = [command, *args.get(command, "x.parquet").split()]
        probe = code.format(command) + f"cli.main({argv!r})\n"
        assert _run(probe) == expected, command
