"""Fault suites: run an agent against a matrix of faults x seeds and judge it.

    python -m sandpit.faults run SUITE.toml --agent pkg.module:make_agent \\
        [--junit FILE] [--json FILE] [--replays DIR] [--jobs N] [--endpoint EP]

A suite (TOML, see docs/FAULTS.md "Fault suites" and assets/suites/) names an env, seeds,
episodes per seed, a baseline scenario without faults, scenarios with fault lists, and
thresholds per scenario. The runner plays every scenario on the baseline's seeds (so the
return drop is paired), prints a table, writes JUnit XML and JSON, keeps the replays of
failing episodes, and exits 0 (passed), 1 (a threshold failed), 2 (bad usage or suite) or
3 (an episode could not be run).

The agent contract is in :mod:`sandpit.faults.runner`; built-in agents are in
:mod:`sandpit.agents`.
"""

from __future__ import annotations

from .report import format_table, junit_xml, to_json, write_json, write_junit
from .runner import (
    AgentError,
    Check,
    EpisodeResult,
    ScenarioResult,
    SuiteResult,
    load_agent_factory,
    preflight,
    run_suite,
)
from .suite import THRESHOLD_KEYS, Scenario, Suite, SuiteError, Thresholds, load_suite, parse_suite

__all__ = [
    "THRESHOLD_KEYS",
    "AgentError",
    "Check",
    "EpisodeResult",
    "Scenario",
    "ScenarioResult",
    "Suite",
    "SuiteError",
    "SuiteResult",
    "Thresholds",
    "format_table",
    "junit_xml",
    "load_agent_factory",
    "load_suite",
    "main",
    "parse_suite",
    "preflight",
    "run_suite",
    "to_json",
    "write_json",
    "write_junit",
]


def main(argv=None) -> int:
    """The command line (``python -m sandpit.faults``); returns the exit status."""
    from .__main__ import main as _main

    return _main(argv)
