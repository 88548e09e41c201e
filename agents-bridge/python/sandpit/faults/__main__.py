"""python -m sandpit.faults: run fault suites (see sandpit.faults)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 3

_EPILOG = """exit status: 0 every threshold passed, 1 a threshold failed, 2 bad usage or a bad
suite (the message names the key), 3 an episode could not be run (the agent raised, the
server failed)."""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandpit.faults",
        description="Run fault-injection suites against an agent.",
        epilog=_EPILOG,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    run = sub.add_parser(
        "run",
        help="run a suite and judge its thresholds",
        epilog=_EPILOG,
        description="Run SUITE against an agent: every scenario x seed, in --jobs processes.",
    )
    run.add_argument("suite", metavar="SUITE.toml")
    run.add_argument(
        "--agent",
        required=True,
        metavar="pkg.module:make_agent",
        help="agent factory make_agent(env_id, spec) -> act(obs) or an object with act/reset "
        "(built in: sandpit.agents:cartpole, :pendulum, :acrobot, :lander, :random_agent)",
    )
    run.add_argument("--junit", metavar="FILE", help="write JUnit XML here")
    run.add_argument("--json", metavar="FILE", help="write the full results as JSON here")
    run.add_argument(
        "--replays",
        metavar="DIR",
        help="record every episode and keep the replays of failing ones here",
    )
    run.add_argument(
        "--report",
        metavar="DIR",
        help="write an HTML report here (index.html: scenarios and failed cases linked to their "
        "replays; episodes.html: a GIF and charts of each kept episode); records episodes, "
        "keeping failing ones in DIR/replays unless --replays says where",
    )
    run.add_argument("--jobs", type=_positive, default=1, metavar="N", help="worker processes")
    run.add_argument(
        "--endpoint",
        metavar="EP",
        help="a running server (with --replays it must share this machine's file system); "
        "default: start one",
    )
    run.add_argument("--seeds", type=_positive, metavar="N", help="only the suite's first N seeds")
    run.add_argument("--episodes", type=_positive, metavar="K", help="override episodes per seed")
    run.add_argument("--timeout", type=float, metavar="S", help="seconds per server request")
    run.add_argument(
        "-q", "--quiet", action="store_true", help="print only the verdict line (no progress)"
    )
    check = sub.add_parser("check", help="validate suite files without running them")
    check.add_argument("suites", nargs="+", metavar="SUITE.toml")
    return parser


def _error(message: str) -> None:
    print(f"sandpit.faults: error: {message}", file=sys.stderr, flush=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    from ..errors import SandpitError
    from .suite import SuiteError, load_suite

    if args.command == "check":
        status = EXIT_PASSED
        for path in args.suites:
            try:
                suite = load_suite(path)
            except SuiteError as e:
                _error(str(e))
                status = EXIT_USAGE
                continue
            print(
                f"OK {path}: {suite.env}, {len(suite.all_scenarios)} scenarios, "
                f"{len(suite.seeds)} seeds x {suite.episodes} episodes"
            )
        return status

    from ..progress import Progress
    from ..server import LocalServer
    from .html import ReportError, write_html_report
    from .report import format_table, write_json, write_junit
    from .runner import AgentError, preflight, run_suite

    try:
        suite = load_suite(args.suite).with_overrides(args.seeds, args.episodes)
    except SuiteError as e:
        _error(str(e))
        return EXIT_USAGE
    if args.timeout is not None and not args.timeout > 0:
        _error(f"--timeout must be positive, got {args.timeout}")
        return EXIT_USAGE
    for flag, path in (("--junit", args.junit), ("--json", args.json)):
        parent = os.path.dirname(os.path.abspath(path)) if path else None
        if parent and not os.path.isdir(parent):
            _error(f"{flag} {path}: no such directory {parent}")
            return EXIT_USAGE
    replays = os.path.abspath(args.replays) if args.replays else None
    if replays and os.path.exists(replays) and not os.path.isdir(replays):
        _error(f"--replays {args.replays}: not a directory")
        return EXIT_USAGE
    report_dir = os.path.abspath(args.report) if args.report else None
    if report_dir and os.path.exists(report_dir) and not os.path.isdir(report_dir):
        _error(f"--report {args.report}: not a directory")
        return EXIT_USAGE
    if report_dir and not replays:
        replays = os.path.join(report_dir, "replays")

    server = None
    endpoint = args.endpoint
    try:
        if endpoint is None:
            server = LocalServer.start()
            endpoint = server.endpoint
        try:
            preflight(suite, args.agent, endpoint, timeout=args.timeout)
        except (SuiteError, AgentError) as e:
            _error(str(e))
            return EXIT_USAGE
        bar = Progress(suite.name, len(suite.all_scenarios) * len(suite.seeds), quiet=args.quiet)
        result = run_suite(
            suite,
            args.agent,
            endpoint=endpoint,
            jobs=args.jobs,
            replays_dir=replays,
            timeout=args.timeout,
            progress=lambda done, total: bar.update(done),
        )
        bar.finish()
    except SandpitError as e:
        _error(f"{type(e).__name__}: {e}")
        return EXIT_ERROR
    finally:
        if server is not None:
            server.stop()

    table = format_table(result)
    print(table.splitlines()[-1] if args.quiet else table, flush=True)
    if args.junit:
        write_junit(result, args.junit)
    if args.json:
        write_json(result, args.json)
    if report_dir:
        try:
            index = write_html_report(result, report_dir, quiet=args.quiet)
        except ReportError as e:
            _error(str(e))
            return EXIT_ERROR
        if not args.quiet:
            print(f"report: {index}", flush=True)
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
