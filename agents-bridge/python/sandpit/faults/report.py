"""Reports of a suite run: a text table, JUnit XML and JSON.

JUnit: one ``<testsuite>`` per suite (inside ``<testsuites>``), one ``<testcase>`` per
scenario and threshold (``classname`` = suite name, ``name`` = ``scenario: threshold``), or one
per scenario (``name`` = the scenario) when it has no thresholds. A failed threshold is a
``<failure>`` whose message holds the numbers; a scenario that could not be run gives an
``<error>`` on its testcases. Every testcase's ``<system-out>`` holds the scenario's numbers.

Times are measured, never shared out: a testcase's ``time`` is the seconds spent judging its
threshold, and the first testcase of a scenario also carries the seconds spent playing the
scenario's episodes (summed over its seeds, each timed in the process that ran it), as pytest
charges a shared fixture to the first test that uses it. The ``<testsuite>`` time is the
wall-clock time of the whole run, so with ``--jobs`` > 1 it can be less than the testcases' sum.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Optional, TextIO

from .runner import ScenarioResult, SuiteResult

__all__ = ["format_table", "junit_xml", "to_json", "write_json", "write_junit"]


def _num(x: Optional[float], fmt: str = "{:.2f}") -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return fmt.format(x)


def _result_word(s: ScenarioResult) -> str:
    if s.errors:
        return "ERROR"
    if s.failed:
        return "FAIL"
    return "pass" if s.checks else "-"


def _relative(s: ScenarioResult, base_mean: Optional[float]) -> Optional[float]:
    drop = s.stats()["drop"]
    if drop is None or base_mean is None:
        return None
    if base_mean == 0:
        return math.inf if drop > 0 else 0.0
    return drop / abs(base_mean)


def format_table(result: SuiteResult) -> str:
    """Per scenario: episodes, mean and std of return, min, mean paired drop against the
    baseline (absolute and relative), guardrail trips and cost per episode, and the verdict;
    then one line per failed threshold."""
    suite = result.suite
    lines = [
        f"suite {suite.name}: {suite.env}, agent {result.agent}, {len(suite.seeds)} seed(s) x "
        f"{suite.episodes} episode(s) per scenario, {result.jobs} job(s), {result.elapsed_s:.1f} s"
    ]
    header = (
        f"{'scenario':<22} {'eps':>4} {'return':>10} {'std':>8} {'min':>10} "
        f"{'drop':>9} {'drop%':>7} {'trips/ep':>9} {'cost/ep':>8}  result"
    )
    lines += [header, "-" * len(header)]
    base_mean = result.scenarios[0].stats()["mean_return"] if result.scenarios else None
    for s in result.scenarios:
        st = s.stats()
        rel = _relative(s, base_mean)
        rel_s = "-" if rel is None else ("inf" if math.isinf(rel) else f"{100 * rel:.1f}%")
        lines.append(
            f"{s.name[:22]:<22} {int(st['episodes'] or 0):>4} {_num(st['mean_return']):>10} "
            f"{_num(st['std_return']):>8} {_num(st['min_return']):>10} "
            f"{_num(st['drop']):>9} {rel_s:>7} {_num(st['guardrail_trips_per_episode']):>9} "
            f"{_num(st['cost_per_episode']):>8}  {_result_word(s)}"
        )
    lines.append("-" * len(header))
    failures = 0
    for s in result.scenarios:
        for err in s.errors:
            lines.append(f"ERROR {s.name}: {err}")
        for c in s.checks:
            if not c.passed and not c.error:
                failures += 1
                eps = ", ".join(f"s{seed}/e{k}" for seed, k in c.failing[:8])
                more = f" (+{len(c.failing) - 8} more)" if len(c.failing) > 8 else ""
                lines.append(f"FAIL {s.name}: {c.message}; episodes {eps}{more}")
    checks = sum(len(s.checks) for s in result.scenarios)
    if result.kept_replays:
        lines.append(f"kept {len(result.kept_replays)} replay(s) in {result.replays_dir}")
    verdict = {0: "PASSED", 1: "FAILED", 3: "ERROR"}[result.exit_code]
    lines.append(
        f"{verdict}: {checks - failures} of {checks} threshold(s) passed over "
        f"{len(result.scenarios)} scenario(s)"
        + (
            f", {sum(1 for s in result.scenarios if s.errors)} scenario(s) could not run"
            if result.errored
            else ""
        )
    )
    return "\n".join(lines)


# -- JSON ----------------------------------------------------------------------------------


def _clean(x: Any) -> Any:
    """JSON has no inf or NaN: they become strings."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_clean(v) for v in x]
    return x


def to_json(result: SuiteResult) -> Dict[str, Any]:
    """Everything about the run: the suite, every scenario's numbers, checks and episodes.
    Only ``elapsed_s`` and ``jobs`` depend on how it was run."""
    suite = result.suite
    base_mean = result.scenarios[0].stats()["mean_return"] if result.scenarios else None
    scenarios = []
    for s in result.scenarios:
        st = s.stats()
        st["drop_relative"] = _relative(s, base_mean)
        scenarios.append(
            {
                "name": s.name,
                "baseline": s.scenario.is_baseline,
                "description": s.scenario.description,
                "faults": s.scenario.faults,
                "guardrails": s.scenario.guardrails,
                "thresholds": dict(s.scenario.thresholds.items()),
                "result": {"pass": "passed", "-": "passed", "FAIL": "failed", "ERROR": "error"}[
                    _result_word(s)
                ],
                "stats": st,
                "checks": [c.to_json() for c in s.checks],
                "errors": list(s.errors),
                "episodes": [e.to_json() for e in s.episodes],
            }
        )
    return _clean(
        {
            "suite": suite.name,
            "path": suite.path,
            "env": suite.env,
            "agent": result.agent,
            "seeds": list(suite.seeds),
            "episodes": suite.episodes,
            "max_steps": suite.max_steps,
            "jobs": result.jobs,
            "elapsed_s": result.elapsed_s,
            "passed": result.exit_code == 0,
            "exit_code": result.exit_code,
            "replays_dir": result.replays_dir,
            "kept_replays": list(result.kept_replays),
            "scenarios": scenarios,
        }
    )


def write_json(result: SuiteResult, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(to_json(result), f, indent=2, sort_keys=False)
        f.write("\n")


# -- JUnit XML -----------------------------------------------------------------------------


def _scenario_out(s: ScenarioResult, base_mean: Optional[float]) -> str:
    st = s.stats()
    rel = _relative(s, base_mean)
    parts = [
        f"episodes={int(st['episodes'] or 0)}",
        f"mean_return={_num(st['mean_return'], '{:.6g}')}",
        f"std_return={_num(st['std_return'], '{:.6g}')}",
        f"min_return={_num(st['min_return'], '{:.6g}')}",
        f"drop={_num(st['drop'], '{:.6g}')}",
        f"drop_relative={_num(rel, '{:.4f}')}",
        f"guardrail_trips_per_episode={_num(st['guardrail_trips_per_episode'], '{:.6g}')}",
        f"cost_per_episode={_num(st['cost_per_episode'], '{:.6g}')}",
    ]
    if s.scenario.faults:
        parts.append("faults=" + json.dumps(s.scenario.faults, sort_keys=True))
    kept = [e.replay for e in s.episodes if e.replay]
    if kept:
        parts.append("replays=" + " ".join(kept))
    return "\n".join(parts)


def junit_xml(result: SuiteResult) -> ET.Element:
    """The ``<testsuites>`` element of the run (see the module doc for the layout)."""
    suite = result.suite
    root = ET.Element("testsuites", name=f"sandpit.faults {suite.name}")
    ts = ET.SubElement(root, "testsuite", name=suite.name)
    props = ET.SubElement(ts, "properties")
    for name, value in (
        ("env", suite.env),
        ("agent", result.agent),
        ("seeds", " ".join(str(s) for s in suite.seeds)),
        ("episodes_per_seed", str(suite.episodes)),
        ("suite_file", suite.path or ""),
    ):
        ET.SubElement(props, "property", name=name, value=value)
    tests = failures = errors = 0
    base_mean = result.scenarios[0].stats()["mean_return"] if result.scenarios else None
    for s in result.scenarios:
        out_text = _scenario_out(s, base_mean)
        cases: List[tuple] = [(f"{s.name}: {c.key}", c) for c in s.checks] or [(s.name, None)]
        for k, (name, check) in enumerate(cases):
            tests += 1
            seconds = (s.run_s if k == 0 else 0.0) + (check.elapsed_s if check else 0.0)
            case = ET.SubElement(
                ts, "testcase", classname=suite.name, name=name, time=f"{seconds:.3f}"
            )
            if s.errors:
                errors += 1
                el = ET.SubElement(case, "error", message=f"{s.name}: " + "; ".join(s.errors)[:500])
                el.set("type", "RunError")
                el.text = "\n".join(s.errors)
            elif check is not None and check.error:
                errors += 1
                el = ET.SubElement(case, "error", message=check.message, type="NotJudged")
                el.text = check.message
            elif check is not None and not check.passed:
                failures += 1
                el = ET.SubElement(case, "failure", message=check.message, type=check.key)
                eps = ", ".join(f"seed {seed} episode {k}" for seed, k in check.failing)
                el.text = f"{check.message}\nfailing episodes: {eps}"
            ET.SubElement(case, "system-out").text = out_text
    for el in (root, ts):
        el.set("tests", str(tests))
        el.set("failures", str(failures))
        el.set("errors", str(errors))
        el.set("time", f"{result.elapsed_s:.3f}")
    ts.set("skipped", "0")
    return root


def write_junit(result: SuiteResult, path: str) -> None:
    tree = ET.ElementTree(junit_xml(result))
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def print_table(result: SuiteResult, out: TextIO) -> None:
    print(format_table(result), file=out, flush=True)
