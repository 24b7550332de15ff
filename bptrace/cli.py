"""The command line, per the contract in DESIGN.md.

Bad input is a ``BadInput``: one line on stderr, exit 2, no traceback unless
``--debug``. Heavy imports (sympy, Textual) happen inside the commands.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bptrace import __version__
from bptrace.errors import BadInput, CannotAnalyse
from bptrace.export import FORMATS
from bptrace.inert import inert_trace, visible
from bptrace.rerun import CodeRun
from bptrace.trace import Trace

COMMANDS = ("run", "export", "replay", "scenarios", "tui")



def bundled_scenarios() -> list[Path]:
    from bptrace.bundled import bundled

    return bundled()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bptrace",
        description="A step debugger for backpropagation.",
        epilog="With no command: the TUI (a scenario picker, or the SCENARIO given).",
    )
    parser.add_argument("--version", action="version", version=f"bptrace {__version__}")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def source_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--code", metavar="FILE", help="trace this .py/.ipynb instead of the scenario's network")
        p.add_argument("--loss", help="half_sse | sse | mse | bce | cross_entropy (code mode: inferred when omitted)")
        p.add_argument("--reduction", help="sum | mean (over samples)")
        p.add_argument("--steps", type=int, metavar="N", help="training steps to record")
        p.add_argument("--seed", type=int, help="seed for NumPy's global RNG in code mode (default 0)")
        p.add_argument("--max-memory", metavar="SIZE",
                       help="code mode: keep step values while they fit, e.g. 512M or 2G (default 1G); "
                       "later steps keep their loss and gradient verdicts")
        p.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    def watch_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--watch", action="store_true",
                       help="code mode: run again on every save of the code file or a .py/.ipynb beside it")

    run = sub.add_parser("run", help="record headless; print the gradient check, the findings and the loss")
    run.add_argument("source", nargs="?", metavar="SCENARIO")
    run.add_argument("--table", nargs="?", const="all", metavar="N..M",
                     help="also print the step table: all steps, or steps N to M (e.g. 20..40)")
    run.add_argument("--quiet", action="store_true", help="print only the findings and the error count")
    source_options(run)
    watch_option(run)

    export = sub.add_parser("export", help="write a trace as JSON, Markdown or HTML")
    export.add_argument("source", nargs="?", metavar="SOURCE",
                        help="a scenario .toml, a code file or a trace .json (or give the code file by --code)")
    export.add_argument("-o", "--output", required=True, metavar="OUT")
    export.add_argument("--format", choices=FORMATS)
    export.add_argument("--detail", metavar="STEPS",
                        help="training steps written out in full, e.g. 0,5,-1 or 2..4 or last or all "
                        "(default: first and last, and any with a finding; the others keep their loss, "
                        "gradient verdicts and findings; in JSON, a step's array above 65,536 entries keeps "
                        "its first and last 8 rows and columns unless all)")
    source_options(export)

    replay = sub.add_parser("replay", help="open a recorded trace JSON in the TUI")
    replay.add_argument("trace", metavar="TRACE.json")
    replay.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    tui = sub.add_parser("tui", help="open a scenario (or a code file with --code) in the TUI")
    tui.add_argument("source", nargs="?", metavar="SCENARIO")
    source_options(tui)
    watch_option(tui)

    scenarios = sub.add_parser("scenarios", help="list the bundled scenarios")
    scenarios.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `bptrace SCENARIO.toml` is `bptrace tui SCENARIO.toml`.
    positional = [a for a in argv if not a.startswith("-")]
    if positional and positional[0] not in COMMANDS:
        argv.insert(argv.index(positional[0]), "tui")
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except BadInput as error:
        if args.debug:
            raise
        print(f"bptrace: error: {visible(str(error), lines=False)}", file=sys.stderr)  # it may quote the input
        return 2
    except CannotAnalyse as error:
        if args.debug:
            raise
        print(f"bptrace: {visible(str(error), lines=False)}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130


def _code_run(args: argparse.Namespace) -> CodeRun:
    """What to record, its numbers checked before anything runs."""
    from bptrace.limits import parse_size
    from bptrace.sources import check_options

    check_options(args.loss, args.reduction, args.steps)
    # NumPy's legacy seeding takes 0 to 2**32 - 1; anything else was a ValueError traceback from inside the run.
    if args.seed is not None and not 0 <= args.seed < 2**32:
        raise BadInput(None, "--seed", f"expected a seed from 0 to {2**32 - 1}, found {args.seed}")
    max_memory = parse_size(args.max_memory, "--max-memory") if args.max_memory is not None else None
    return CodeRun(args.source, args.code, args.loss, args.reduction, args.steps, args.seed, max_memory)


def _record(args: argparse.Namespace) -> Trace:
    return _code_run(args).record()


def _watched(args: argparse.Namespace) -> CodeRun:
    """``--watch``'s run, refused before anything starts when there is no code file to watch."""
    run = _code_run(args)
    from bptrace.sources import check_code_file

    check_code_file(run.script())
    return run


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "scenarios":
        return _list_scenarios()
    if args.command == "run":
        return _run(args)
    if args.command == "export":
        return _export(args)
    if args.command == "replay":
        from bptrace.export.json_format import load_trace

        return _open_tui(load_trace(args.trace))
    if args.command == "tui" and args.watch:
        return _open_tui(None, _watched(args), watch=True)  # the app records, and shows a save that fails
    if args.command == "tui" and (args.source or args.code):
        code = _code_run(args)
        trace = code.record()
        return _open_tui(trace, code if trace.scenario.mode == "code" else None)  # code: `w` may watch it
    return _open_tui(None)


def _list_scenarios() -> int:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from bptrace.scenario import load_scenario

    table = Table(box=None, pad_edge=False, show_header=False)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for path in bundled_scenarios():
        scenario = load_scenario(path)
        table.add_row(
            Text(path.stem), Text.assemble(visible(scenario.name), "\n", (visible(scenario.description), "dim"))
        )
    console = Console()
    console.print(table)
    from bptrace.bundled import SCENARIO_DIR, gallery

    mistakes = Table(box=None, pad_edge=False, show_header=False, title_justify="left",
                     title="Gallery: a short learner program for each finding (code mode)")
    mistakes.add_column(style="bold cyan", no_wrap=True)
    mistakes.add_column()
    for path in gallery():
        mistakes.add_row(
            Text(path.relative_to(SCENARIO_DIR).with_suffix("").as_posix()),
            Text(visible(load_scenario(path).name).removeprefix("Gallery: ")),
        )
    if mistakes.rows:
        console.print()
        console.print(mistakes)
    return 0


def _run(args: argparse.Namespace) -> int:
    wanted = step_range(args.table) if args.table is not None else None  # its spelling, before recording
    if args.watch:
        from bptrace.watch_run import run_watching

        return run_watching(_watched(args), lambda trace: report(trace, wanted, args.quiet))
    trace = _record(args)
    report(trace, wanted, args.quiet)
    return 1 if trace.error_count() else 0


def report(trace: Trace, wanted: range | None, quiet: bool) -> None:
    """``bptrace run``'s report of one recording, on stdout."""
    from rich.console import Console

    from bptrace import symbolic
    from bptrace.report import render

    _say_if_interrupted(trace)
    if wanted is not None or trace.findings:  # formulas are shown only in step tables
        trace = symbolic.with_formulas(trace)
    render(inert_trace(trace), Console(), table=wanted, quiet=quiet)


def step_range(text: str) -> range:
    """``all``, ``N``, ``N..M`` (inclusive), ``N..`` or ``..M`` as a range of step indices."""
    if text == "all":
        return range(0, 1 << 62)
    first, dots, last = text.partition("..")
    try:
        start = int(first) if first.strip() else 0
        stop = (int(last) + 1 if last.strip() else 1 << 62) if dots else start + 1
    except ValueError:
        start = stop = -1
    if start < 0 or stop <= start:
        raise BadInput(None, "--table", f'expected steps as N..M (e.g. 20..40), N, N.. or ..M, found "{text}"')
    return range(start, stop)


def _export(args: argparse.Namespace) -> int:
    from bptrace.export import export_trace, format_for

    out = Path(args.output)
    if format_for(out, args.format) is None:  # say so before recording anything
        raise BadInput(str(out), "-o", "cannot tell the format from the suffix; use .json, .md or .html, or --format")
    if args.detail is not None:  # its spelling too; whether the steps exist is known after recording
        from bptrace.export.notes import check_detail

        check_detail(args.detail)
    trace = _record(args)
    _say_if_interrupted(trace)
    fmt = export_trace(trace, out, args.format, args.detail)
    print(f"wrote {out} ({fmt}, {len(trace.steps)} steps, {trace.train_steps} training steps)", file=sys.stderr)
    return 1 if trace.error_count() else 0


def _say_if_interrupted(trace: Trace) -> None:
    if trace.scenario.interrupted:
        print(f"bptrace: interrupted (Ctrl-C): the script was stopped; reporting the {len(trace.losses)} training "
              "step(s) recorded until then (a second Ctrl-C exits at once)", file=sys.stderr)


def _open_tui(trace: Trace | None, code: CodeRun | None = None, *, watch: bool = False) -> int:
    from bptrace.tui.app import run_app

    return run_app(trace, code, watch=watch)


if __name__ == "__main__":
    raise SystemExit(main())
