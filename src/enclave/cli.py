"""The ``enclave`` command. Arguments are parsed here and only here; each
subcommand is one plain function that reads its inputs, calls the stage's pure
core and writes its outputs. Every DVC stage calls exactly one subcommand."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from enclave import allocator, config, log
from enclave.errors import EnclaveError
from enclave.scratch import claim

Command = Callable[[argparse.Namespace], int | None]


def _params(args: argparse.Namespace) -> config.Params:
    return config.load(args.params)


def cmd_synthesize(args: argparse.Namespace) -> None:
    params = _params(args)
    from enclave.synth import run

    run(params.synth, landing=args.landing, truth=args.truth)


def cmd_validate(args: argparse.Namespace) -> None:
    from enclave.ingest import run

    run(
        args.agency,
        _params(args).ingest,
        landing=args.landing,
        staged=args.staged,
        quarantine=args.quarantine,
        report=args.report,
    )


def cmd_link(args: argparse.Namespace) -> None:
    from enclave.linkage import run

    params = _params(args)
    inputs = list(args.inputs)
    if args.staged is not None:  # every agency of params.yaml, in pipeline order
        inputs += [args.staged / agency for agency in params.agencies]
    if not inputs:
        raise config.ConfigError(
            "enclave link: name the identifier inputs, or --staged DIR for every agency"
        )
    run(params.linkage, inputs=inputs, out=args.out, existing=args.existing, model_file=args.model)


def cmd_evaluate_linkage(args: argparse.Namespace) -> None:
    from enclave.linkage.evaluate import run

    run(
        linkage=args.linkage,
        staged=args.staged,
        truth=args.truth,
        report=args.report,
        plots=args.plots,
    )


def _approval(args: argparse.Namespace, project: str, action: str):
    """The project's approval, which must be provisioned today; the stage is audited."""
    import datetime

    from enclave.governance import agreement, audit, projects

    root = args.params.parent  # the governance files sit beside params.yaml
    terms = agreement.load(root=root)
    approval = projects.load(project, terms, root)
    state = projects.status(project, approval, terms, datetime.date.today())
    if not state.provisioned:
        raise EnclaveError(f"{state.reason}: the research zone is not built")
    audit.Log.default().append(
        action,
        project=project,
        purpose=approval.purpose,
        what={"datasets": list(approval.datasets), "tables": list(approval.tables)},
    )
    return approval


def cmd_deidentify(args: argparse.Namespace) -> None:
    import datetime

    from enclave.deid.deidentify import Scope, run

    approval = _approval(args, args.project, "deidentify")
    scope = Scope(
        agencies=approval.datasets,
        period=(
            datetime.date.fromisoformat(approval.period_start),
            datetime.date.fromisoformat(approval.period_end),
        ),
    )
    run(
        args.project,
        _params(args).deid,
        staged=args.staged,
        linkage=args.linkage,
        landing=args.landing,
        out=args.out,
        report=args.report,
        scope=scope,
        state=args.state,
    )


def cmd_build(args: argparse.Namespace) -> None:
    from enclave.analytic import run

    approval = _approval(args, args.project, "build") if args.project else None
    run(
        _params(args).build,
        base=args.base,
        out=args.out,
        tables=approval.tables if approval else None,
        columns=approval.columns if approval else None,
    )


def cmd_study(args: argparse.Namespace) -> int | None:
    from enclave.governance import agreement, projects
    from enclave.studies.runner import run

    if args.name == "new":
        return _new_study(args)
    if args.new_name is not None:
        raise config.ConfigError(f"enclave study {args.name}: one study name only")
    if args.out is None:
        args.out = Path("outputs") / args.name
    params = _params(args)
    section = getattr(params.studies, args.name, None)
    if section is not None:  # else run() names the missing section
        # the governance files sit beside params.yaml; the study shows its project's
        # data, so the strictest rule of the parties behind that data applies
        root = args.params.parent
        terms = agreement.load(root=root)
        project = projects.load(section.project, terms, root)
        agreement.check_min_cell(
            params.disclosure.min_cell, terms, projects.parties_of(project, terms)
        )
    with claim(args.out):
        run(args.name, params, notebooks=args.notebooks, out=args.out)
    return None


def _new_study(args: argparse.Namespace) -> int:
    from enclave.studies.template import create

    if args.new_name is None:
        raise config.ConfigError("enclave study new NAME: give the new study's name")
    written = create(args.new_name, args.project, args.notebooks, args.params)
    _say(
        [f"wrote {path}" for path in written]
        + [f"next: dvc repro study@{args.new_name} (then open outputs/{args.new_name}/)"]
    )
    return 0


def cmd_catalog(args: argparse.Namespace) -> None:
    from enclave.dictionary import run

    run(out=args.out)


def cmd_outputs(args: argparse.Namespace) -> int:
    from enclave.disclosure.review import run

    _say(run(args.directory, args.study, _params(args), args.params.parent, args.report))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """The airlock (enclave.disclosure.airlock): request, review, release, status."""
    from enclave.disclosure import airlock
    from enclave.governance import audit

    store, user = airlock.Store.under(audit.state_dir()), audit.current_user()
    if args.action == "request":
        from enclave.disclosure import review

        rules = review.study_rules(args.study, _params(args), args.params.parent)
        folder = args.outputs_dir / args.study
        trail = _audit_log()
        record = airlock.request(folder, rules, args.files, user=user, store=store, log=trail)
        _say(record["id"])
    elif args.action == "review":
        from enclave.governance import agreement

        checkers = agreement.load(root=args.params.parent).output_checkers
        record = airlock.review(
            args.id,
            user=user,
            approve=args.approve,
            reason=args.reject,
            checkers=checkers,
            store=store,
            log=_audit_log(),
        )
        _say(f"{args.id}: {airlock.state_of(record)}")
    elif args.action == "release":
        target = airlock.release(
            args.id, releases=args.releases, user=user, store=store, log=_audit_log()
        )
        _say(f"{args.id}: released to {target}")
    else:
        _say(airlock.status(store, args.id))
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    from enclave.lab import run

    return run(args.project, args.port, args.notebooks)


def _audit_log():
    from enclave.governance import audit

    return audit.Log.default()


def cmd_governance(args: argparse.Namespace) -> int:
    from enclave.governance import commands

    if args.action == "request":
        lines = commands.request(
            args.root,
            args.project,
            title=args.title,
            purpose=args.purpose,
            lead=args.lead,
            members=args.member or [],
            datasets=args.dataset or [],
            period=tuple(args.period) if args.period else None,
            expiry=args.expiry,
            start=args.start,
            tables=args.table or [],
            log=_audit_log(),
        )
    elif args.action == "approve":
        lines = commands.approve(
            args.root, args.project, args.agency, args.by, args.on, _audit_log()
        )
    elif args.action == "status":
        lines = commands.status(args.root)
    else:
        lines = commands.agency(args.root, args.agency)
    _say(lines)
    return 0


def _say(lines: list[str] | str) -> None:
    """A command's answer, on standard output (logs go to standard error)."""
    text = lines if isinstance(lines, str) else "\n".join(lines)
    sys.stdout.write(text + "\n")


def cmd_audit(args: argparse.Namespace) -> int:
    from enclave.governance import commands

    log = _audit_log()
    if args.action == "verify":
        verdict = log.verify()
        _say(str(verdict))
        return 0 if verdict.ok else 1
    _say(commands.audit_show(log, args.project, args.user))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="enclave",
        description="The research data enclave: one subcommand per DVC stage, and "
        "governance and audit for stewards and governance officers.",
        epilog=(
            "The whole pipeline: dvc repro (make repro); dvc.yaml holds each stage's "
            "command line. Linking a new source against the staged agencies: enclave link "
            "new_source.csv data/staged/hfs --out /tmp/xw. Options: enclave COMMAND --help."
        ),
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, func: Command, help: str, outputs: tuple[str, ...] = ()
    ) -> argparse.ArgumentParser:
        """A subcommand; ``outputs``: the options naming what it writes (claimed at start)."""
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument(
            "--params", type=Path, default=Path("params.yaml"), help="default params.yaml"
        )
        p.set_defaults(func=func, outputs=outputs)
        return p

    p = add(
        "synthesize",
        cmd_synthesize,
        "generate the synthetic world's agency extracts",
        ("landing", "truth"),
    )
    p.add_argument("--landing", type=Path, default=Path("data/landing"))
    p.add_argument("--truth", type=Path, default=Path("data/truth"))

    p = add(
        "validate",
        cmd_validate,
        "check one agency's extract against its contract",
        ("staged", "quarantine", "report"),
    )
    p.add_argument("agency", choices=config.AGENCIES)
    p.add_argument("--landing", type=Path, required=True)
    p.add_argument("--staged", type=Path, required=True)
    p.add_argument("--quarantine", type=Path, required=True)
    p.add_argument("--report", type=Path, required=True)

    p = add("link", cmd_link, "link people across identifier tables into a crosswalk", ("out",))
    p.add_argument(
        "inputs",
        type=Path,
        nargs="*",
        help="staged agency directories, or parquet/CSV identifier files",
    )
    p.add_argument(
        "--staged",
        type=Path,
        default=None,
        help="a staged zone: link DIR/<agency> for every agency of params.yaml, after INPUTS",
    )
    p.add_argument("--out", type=Path, default=Path("data/linkage"))
    p.add_argument(
        "--existing",
        type=Path,
        default=None,
        help="an earlier crosswalk whose person keys are kept",
    )
    p.add_argument(
        "--model",
        type=Path,
        default=None,
        help="score with this trained model (a linkage zone's model.json) instead of training",
    )

    p = add(
        "evaluate-linkage",
        cmd_evaluate_linkage,
        "measure linkage against the truth",
        ("report", "plots"),
    )
    p.add_argument("--linkage", type=Path, default=Path("data/linkage"))
    p.add_argument("--staged", type=Path, default=Path("data/staged"))
    p.add_argument("--truth", type=Path, default=Path("data/truth"))
    p.add_argument("--report", type=Path, default=Path("reports/linkage.json"))
    p.add_argument("--plots", type=Path, default=Path("reports/linkage_pr.csv"))

    p = add(
        "deidentify",
        cmd_deidentify,
        "write one approved project's research zone",
        ("out", "report"),
    )
    p.add_argument("--project", required=True)
    p.add_argument("--staged", type=Path, default=Path("data/staged"))
    p.add_argument("--linkage", type=Path, default=Path("data/linkage"))
    p.add_argument(
        "--landing",
        type=Path,
        default=Path("data/landing"),
        help="read only by the leak scan, to look for identifiers",
    )
    p.add_argument("--out", type=Path, required=True, help="data/research/<project>/base")
    p.add_argument("--report", type=Path, required=True)
    p.add_argument(
        "--state",
        type=Path,
        default=None,
        help="data/deid/<project>: the trusted folder where the run keeps its pseudonymised"
        " records, so that a monthly delivery is folded in, not redone (docs/deliveries.md)",
    )

    p = add("build", cmd_build, "build the analytic tables of the research zone", ("out",))
    p.add_argument("--base", type=Path, required=True, help="data/research/<project>/base")
    p.add_argument("--out", type=Path, required=True, help="data/research/<project>/analytic")
    p.add_argument(
        "--project", help="write only the tables and columns this project's approval names"
    )

    p = add(
        "study",
        cmd_study,
        "run one study notebook in the research sandbox, or create a new study",
    )
    p.description = (
        "enclave study NAME runs notebooks/NAME.ipynb with the parameters of studies.NAME "
        "in params.yaml (checked against the notebook's parameters cell), in the research "
        "sandbox, into --out: the executed notebook, report.html, tables/ and figures/. "
        "enclave study new NAME creates notebooks/NAME.ipynb from the template and adds "
        "studies.NAME to params.yaml; the next dvc repro runs it."
    )
    p.add_argument("name", help="the study (notebooks/NAME.ipynb), or 'new'")
    p.add_argument("new_name", nargs="?", help="with 'new': the new study's name")
    p.add_argument(
        "--notebooks", type=Path, default=Path("notebooks"), help="where the notebooks are"
    )
    p.add_argument("--out", type=Path, help="the output folder (default outputs/NAME)")
    p.add_argument(
        "--project", default="demo", help="with 'new': the approved project the study reads"
    )

    p = add(
        "outputs",
        cmd_outputs,
        "check a study's outputs for disclosure before anything leaves (enclave outputs check)",
        ("report",),
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    c = actions.add_parser(
        "check",
        help="check every notebook output, table and figure in a folder; exit 1 if blocked",
        description="Blocks small counts, unrounded counts, person-level rows, pseudonyms, "
        "dates, small-group statistics and anything not made by a safe helper; the rules are "
        "the agreement's for the study's project (docs/disclosure.md).",
    )
    c.add_argument("directory", type=Path, help="the study's output folder, e.g. outputs/NAME")
    c.add_argument("--study", help="the study (its project sets the rules; default: strictest)")
    c.add_argument("--report", type=Path, help="write the findings as JSON here")
    c.add_argument("--params", type=Path, default=Path("params.yaml"))

    p = add(
        "export",
        cmd_export,
        "the airlock: request, review (two output checkers) and release a study's outputs",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    e = actions.add_parser(
        "request",
        help="ask to export a study's outputs; the checker and the release ledger must pass",
        description="Checks the whole folder outputs/STUDY, compares the requested tables "
        "with every released one (differencing), records the request and prints its id.",
    )
    e.add_argument("study")
    e.add_argument("files", nargs="*", help="paths under outputs/STUDY (default: every file)")
    # dest: "outputs" is what every subcommand claims (see add)
    e.add_argument("--outputs", dest="outputs_dir", type=Path, default=Path("outputs"))
    e.add_argument("--params", type=Path, default=Path("params.yaml"))
    e = actions.add_parser("review", help="an output checker approves or rejects a request")
    e.add_argument("id")
    verdict = e.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--approve", action="store_true")
    verdict.add_argument("--reject", metavar="REASON")
    e.add_argument("--params", type=Path, default=Path("params.yaml"))
    e = actions.add_parser(
        "release", help="copy a request approved by two output checkers to releases/ID"
    )
    e.add_argument("id")
    e.add_argument("--releases", type=Path, default=Path("releases"))
    e = actions.add_parser("status", help="every request and its state, or one in detail")
    e.add_argument("id", nargs="?")

    p = add(
        "lab",
        cmd_lab,
        "JupyterLab for one project in the research sandbox (make lab)",
    )
    p.add_argument("--project", help="the project (default: ENCLAVE_PROJECT, or your only one)")
    p.add_argument("--port", type=int, default=8888, help="local port for the browser")
    p.add_argument("--notebooks", type=Path, default=Path("notebooks"))

    p = add("catalog", cmd_catalog, "write the data dictionary (Markdown and HTML)", ("out",))
    p.add_argument("--out", type=Path, default=Path("docs/catalog"))

    p = add(
        "governance",
        cmd_governance,
        "project requests and approvals under the enterprise agreement (governance/)",
    )
    p.add_argument("--root", type=Path, default=Path("."), help="the project root")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    r = actions.add_parser(
        "request",
        help="write a project request from the options, or check an existing one",
        description="With only a project id, check governance/projects/<id>.yaml; with "
        "the options, write it (every steward must then approve it).",
    )
    r.add_argument("project")
    r.add_argument("--title")
    r.add_argument("--purpose", help="one of the agreement's purposes")
    r.add_argument("--lead", help="the lead researcher's user name")
    r.add_argument("--member", action="append", help="a member's user name (repeat)")
    r.add_argument("--dataset", action="append", help="a dataset by contract name (repeat)")
    r.add_argument("--table", action="append", help="an analytic table, where narrower (repeat)")
    r.add_argument("--period", nargs=2, metavar=("START", "END"), help="the study period")
    r.add_argument("--start", help="first day of the approval (default today)")
    r.add_argument("--expiry", help="last day of the approval")
    a = actions.add_parser("approve", help="record a steward's sign-off for one party's data")
    a.add_argument("project")
    a.add_argument("--agency", required=True, help="the party code, e.g. hfs")
    a.add_argument("--by", required=True, help="the steward's user name")
    a.add_argument("--on", help="date of the sign-off (default today)")
    actions.add_parser("status", help="every project: approvals missing, expiry, data")
    g = actions.add_parser("agency", help="for a steward: every project using the party's data")
    g.add_argument("agency")

    p = add("audit", cmd_audit, "check or list the audit log")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("verify", help="check every entry's seal, order and chain; exit 1 if bad")
    s = actions.add_parser("show", help="list entries")
    s.add_argument("--project")
    s.add_argument("--user")
    return parser


class Stopped(BaseException):
    """A stop signal (SIGTERM, SIGHUP) turned into an exception, so that every
    ``with`` block of the stage removes its temporary output and scratch on the way
    out (SIGINT does the same as KeyboardInterrupt). SIGKILL cannot be caught: what a
    killed run leaves, the next run removes (:mod:`enclave.scratch`)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


@contextmanager
def _stop_signals_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Stopped` for the block (the main thread's
    handlers are restored after it, for callers that run a stage in-process)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {s: signal.signal(s, _stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.func in (cmd_validate, cmd_deidentify, cmd_build):  # before polars loads
        allocator.reuse_freed_pages()
    log.setup(logging.DEBUG if args.verbose else logging.INFO)
    try:
        # outputs are claimed before any work: a second run stops at once, and what a
        # killed run left is gone before this one starts (enclave.scratch)
        outputs = [getattr(args, o) for o in args.outputs if getattr(args, o, None) is not None]
        with _stop_signals_raise(), claim(*outputs):
            return args.func(args) or 0
    except (EnclaveError, config.ConfigError) as exc:
        log.get("enclave").error("%s", exc)
        return getattr(exc, "exit_code", 2)
    except Stopped as stop:
        name = signal.Signals(stop.signum).name
        log.get("enclave").error("stopped by %s: partial output and scratch removed", name)
        return 128 + stop.signum
    except Exception as exc:  # a fault of the code, not of the input
        # an exception's message may quote a row value (a library's parse error, a
        # failed cast), so only its type and where it arose are shown, never the text
        where = traceback.extract_tb(exc.__traceback__)[-1]
        log.get("enclave").error(
            "%s failed: internal error %s at %s:%d (in %s); no output was written. "
            "Please report it with this line; -v shows the call stack",
            args.command,
            type(exc).__name__,
            Path(where.filename).name,
            where.lineno,
            where.name,
        )
        if args.verbose:
            log.get("enclave").debug(
                "call stack:\n%s", "".join(traceback.format_tb(exc.__traceback__))
            )
        return 3


if __name__ == "__main__":
    sys.exit(main())
