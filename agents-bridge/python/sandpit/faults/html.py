"""The HTML report of a suite run (``--report DIR``): a static page, no JavaScript.

``DIR/index.html`` holds the verdict, one row per scenario (faults, episodes, mean return,
drop, guardrail trips and cost per episode, result) and every failed check with its failing
episodes, each linked to its kept replay and to its section of ``DIR/episodes.html``. That
second page, with a GIF and the charts of every kept episode (what the agent saw against the
truth, actions as sent and applied, fault spans, guardrail trips), is drawn by
``sandpit replay report``; the replays are in ``DIR/replays`` unless ``--replays`` put them
elsewhere. Links are relative, so the directory can be moved or archived by CI as it is.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
from typing import Dict, List, Optional, Tuple

from ..errors import SandpitError
from .runner import EpisodeResult, ScenarioResult, SuiteResult

EPISODES_PAGE = "episodes.html"

_STYLE = (
    "body{font-family:sans-serif;margin:1.5em;color:#111;background:#fff}"
    "table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px;"
    "vertical-align:top;text-align:left}th{background:#ddd}"
    ".PASS{color:#060}.FAIL{color:#b00;font-weight:bold}.ERROR{color:#b60;font-weight:bold}"
    "code{font-size:90%}"
)


class ReportError(SandpitError):
    """``sandpit replay report`` could not draw the kept episodes."""


def _esc(x: object) -> str:
    return html.escape(str(x), quote=True)


def _num(x: Optional[float], fmt: str = "{:.3f}") -> str:
    return "-" if x is None else fmt.format(x)


def _result_word(s: ScenarioResult) -> str:
    if s.errors or any(c.error for c in s.checks):
        return "ERROR"
    return "FAIL" if s.failed else "PASS"


def _draw_episodes(
    kept: List[EpisodeResult], report_dir: str, title: str, binary: Optional[str], quiet: bool
) -> None:
    from ..server import find_binary

    cmd = [binary or find_binary(), "replay", "report"]
    cmd += [os.path.relpath(e.replay or "", report_dir) for e in kept]
    cmd += ["--html", ".", "--page", EPISODES_PAGE, "--title", title]
    if quiet:
        cmd.append("--quiet")
    # Run in the report directory with relative paths, so the page names files as they are
    # found from it and holds no absolute path.
    done = subprocess.run(cmd, cwd=report_dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    if done.returncode != 0:
        raise ReportError(f"sandpit replay report failed ({done.returncode}): {done.stderr.strip()}")


def write_html_report(
    result: SuiteResult, report_dir: str, *, binary: Optional[str] = None, quiet: bool = True
) -> str:
    """Writes the suite's report into ``report_dir`` (made if missing); returns the path of
    its index.html. ``binary`` is the ``sandpit`` executable (default: as the local server
    finds it). Raises ReportError when the episode pictures cannot be drawn."""
    os.makedirs(report_dir, exist_ok=True)
    suite = result.suite
    kept: List[EpisodeResult] = []
    where: Dict[Tuple[str, int, int], int] = {}
    for res in result.scenarios:
        for e in res.episodes:
            if e.replay and os.path.exists(e.replay):
                where[(res.name, e.seed, e.index)] = len(kept)
                kept.append(e)
    if kept:
        _draw_episodes(kept, report_dir, f"{suite.name}: kept episodes", binary, quiet)

    def episode_links(res: ScenarioResult, seed: int, index: int) -> str:
        text = f"seed {seed} episode {index}"
        at = where.get((res.name, seed, index))
        if at is None:
            return _esc(text)
        replay = os.path.relpath(kept[at].replay or "", report_dir)
        return (
            f'<a href="{_esc(EPISODES_PAGE)}#ep-{at}">{_esc(text)}</a> '
            f'(<a href="{_esc(replay)}">replay</a>)'
        )

    verdict = {0: "PASSED", 1: "FAILED"}.get(result.exit_code, "ERROR")
    out: List[str] = [
        "<!DOCTYPE html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{_esc(suite.name)}: {verdict}'
        f"</title><style>{_STYLE}</style></head><body>",
        f'<h1>{_esc(suite.name)}: <span class="{"PASS" if verdict == "PASSED" else "FAIL"}">'
        f"{verdict}</span></h1>",
        f"<p>env {_esc(suite.env)}, agent <code>{_esc(result.agent)}</code>, seeds "
        f"{_esc(' '.join(str(s) for s in suite.seeds))} x {suite.episodes} episode(s).</p>",
        '<table id="scenarios"><thead><tr><th>scenario</th><th>faults</th><th>episodes</th>'
        "<th>mean return</th><th>drop</th><th>guardrail trips / ep</th><th>cost / ep</th>"
        "<th>result</th></tr></thead><tbody>",
    ]
    for res in result.scenarios:
        st = res.stats()
        word = _result_word(res)
        faults = json.dumps(res.scenario.faults, sort_keys=True) if res.scenario.faults else "none"
        out.append(
            f"<tr><td>{_esc(res.name)}</td><td><code>{_esc(faults)}</code></td>"
            f"<td>{int(st['episodes'] or 0)}</td><td>{_num(st['mean_return'])}</td>"
            f"<td>{_num(st['drop'])}</td><td>{_num(st['guardrail_trips_per_episode'])}</td>"
            f"<td>{_num(st['cost_per_episode'])}</td>"
            f'<td class="{word}">{word}</td></tr>'
        )
    out.append("</tbody></table>")
    failed = [(res, c) for res in result.scenarios for c in res.checks if not c.passed]
    errors = [(res, err) for res in result.scenarios for err in res.errors]
    if failed or errors:
        out.append('<h2>Failed cases</h2><ul id="failures">')
        for res, c in failed:
            links = ", ".join(episode_links(res, seed, k) for seed, k in c.failing) or "-"
            out.append(
                f"<li><b>{_esc(res.name)}: {_esc(c.key)}</b>: {_esc(c.message)}<br>"
                f"failing episodes: {links}</li>"
            )
        for res, err in errors:
            out.append(f"<li><b>{_esc(res.name)}</b>: error: {_esc(err)}</li>")
        out.append("</ul>")
    if kept:
        out.append(
            f'<p>{len(kept)} kept episode(s): <a href="{EPISODES_PAGE}">GIFs and charts of '
            "each</a> (what the agent saw against the truth, actions as sent and applied, "
            "fault spans, guardrail trips).</p>"
        )
    else:
        out.append("<p>No episode was kept: nothing failed.</p>")
    out.append("</body></html>")
    path = os.path.join(report_dir, "index.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    return path
