"""The fault-suite runner (python -m sandpit.faults): schema, thresholds, reports, and end to
end against a real server: the shipped smoke suites, a passing and a failing suite, JUnit XML,
kept replays verified by `sandpit replay verify`, --jobs independence, bad suites refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Dict, Optional

import pytest
import sandpit
from sandpit.errors import ServerError
from sandpit.faults import load_suite, parse_suite, report, run_suite
from sandpit.faults.__main__ import main as faults_main
from sandpit.faults.runner import AgentError, load_agent_factory
from sandpit.faults.suite import SuiteError

REPO = Path(__file__).resolve().parents[2]
SUITES = REPO / "assets" / "suites"
SMOKE = {
    "smoke-cartpole.toml": "sandpit.agents:cartpole",
    "smoke-pendulum.toml": "sandpit.agents:pendulum",
    "smoke-acrobot.toml": "sandpit.agents:acrobot",
    "smoke-lander.toml": "sandpit.agents:lander",
    "smoke-pixels.toml": "sandpit.agents:lander",
    "smoke-rover.toml": "sandpit.agents:rover",
    "smoke-racer.toml": "sandpit.agents:racer",
    "smoke-walker.toml": "sandpit.agents:walker",
    "smoke-hopper.toml": "sandpit.agents:hopper",
    "smoke-reacher.toml": "sandpit.agents:reacher",
    "smoke-pusher.toml": "sandpit.agents:pusher",
    "smoke-touch.toml": "sandpit.agents:touch",
}


def write(tmp_path: Path, text: str, name: str = "suite.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


# -- fakes: no server --------------------------------------------------------------------------


class FakeEnv:
    """A deterministic stand-in for sandpit.make: 10 steps per episode, reward 1 per step
    minus 0.05 per fault kind "noise" per unit of sigma x 100; a guardrail trip and a cost of
    0.5 every 4th step when guardrails are given. Records one text file per episode."""

    def __init__(self, env_id: str, endpoint: Optional[str], **kw: Any) -> None:
        self.kw = kw
        self.sandpit_spec = {"id": env_id, "observation": {"names": ["x"]}}
        self.penalty = sum(
            float(f.get("sigma", 0.0)) * 5.0 for f in kw.get("faults", []) if f["kind"] == "noise"
        )
        self.crash = any(f["kind"] == "crash" for f in kw.get("faults", []))
        # A fake fault that makes every step take this long (for measured report times).
        self.step_s = sum(float(f["seconds"]) for f in kw.get("faults", []) if f["kind"] == "slow")
        self.record = kw.get("record")
        self.episode = -1
        self.seed = 0

    def reset(self, seed: Optional[int] = None, options: Any = None):
        self.seed = seed if seed is not None else self.seed + 1000
        self.episode += 1
        self.t = 0
        if self.record:
            Path(self.record, f"s1-e0-{self.episode:06d}.sprp").write_text(str(self.seed))
        return [0.0], {"seed": self.seed}

    def step(self, action):
        if self.crash and self.t == 3:
            raise ServerError("bad_action", "fake refusal")
        if self.step_s:
            time.sleep(self.step_s)
        self.t += 1
        info: Dict[str, Any] = {}
        if self.kw.get("guardrails") and self.t % 4 == 0:
            info["guardrail"] = [{"reason": "action_rate", "policy": "clip"}]
            info["cost"] = 0.5
        reward = 1.0 - self.penalty * (1 + self.kw.get("seed", 0) % 3)
        done = self.t >= 10
        return [0.0], reward, done, False, {**info, **({"reason": "max_steps"} if done else {})}

    def close(self):
        pass


def fake_agent(env_id, spec):
    return lambda obs: 0


FAKE_SUITE = """
    name = "fake"
    env = "Fake-v0"
    seeds = [0, 1, 2]
    episodes = 2
    [thresholds]
    max_drop = 1.0
    [baseline]
    thresholds = { min_mean_return = 9.5 }
    [[scenarios]]
    name = "mild"
    faults = [{ kind = "noise", sigma = 0.001 }]
    [[scenarios]]
    name = "strong"
    faults = [{ kind = "noise", sigma = 0.1 }]
    thresholds = { min_mean_return = 5.0, max_drop_relative = 0.2 }
    [[scenarios]]
    name = "guarded"
    faults = []
    guardrails = { any = 1 }
    thresholds = { max_guardrail_trips = 1.0, max_cost = 2.0 }
"""


def run_fake(tmp_path: Path, text: str = FAKE_SUITE, replays: Optional[Path] = None):
    suite = parse_suite(__import__("tomllib").loads(textwrap.dedent(text)), "fake.toml")
    return run_suite(
        suite,
        "test_fault_suites:fake_agent",
        replays_dir=str(replays) if replays else None,
        env_factory=FakeEnv,
    )


def test_thresholds_judged_on_paired_episodes(tmp_path):
    result = run_fake(tmp_path)
    checks = {(s.name, c.key): c for s in result.scenarios for c in s.checks}
    assert checks[("baseline", "min_mean_return")].passed
    assert ("baseline", "max_drop") not in checks  # the baseline has no drop
    # mild: sigma 0.001 -> penalty 0.005 per step x (1 + seed % 3): mean drop 0.1
    mild = result.stats("mild")
    assert mild["drop"] == pytest.approx(0.1)
    assert checks[("mild", "max_drop")].passed
    # strong: penalty 0.5 per step x (1, 2, 3): returns 5, 0, -5 -> mean 0, drop 10
    strong = result.stats("strong")
    assert strong["mean_return"] == pytest.approx(0.0)
    assert strong["std_return"] == pytest.approx(4.4721359, rel=1e-6)  # sample std of 5,5,0,0,-5,-5
    c = checks[("strong", "min_mean_return")]
    assert not c.passed and c.value == pytest.approx(0.0)
    assert "mean return 0 < 5 (min_mean_return)" in c.message
    # every episode below 5 fails it: seeds 1 and 2 (returns 0 and -5), both episodes
    assert c.failing == [(1, 0), (1, 1), (2, 0), (2, 1)]
    assert not checks[("strong", "max_drop")].passed  # the suite default applies
    rel = checks[("strong", "max_drop_relative")]
    assert not rel.passed and rel.value == pytest.approx(1.0)
    guarded = checks[("guarded", "max_guardrail_trips")]
    assert not guarded.passed and guarded.value == pytest.approx(2.0)  # steps 4 and 8
    assert checks[("guarded", "max_cost")].passed  # 1.0 per episode
    assert result.stats("guarded")["cost_per_episode"] == pytest.approx(1.0)
    assert result.exit_code == 1


def test_reports_table_json_junit(tmp_path):
    result = run_fake(tmp_path)
    table = report.format_table(result)
    assert "strong" in table and "FAIL strong: mean return 0 < 5" in table
    assert table.splitlines()[-1].startswith("FAILED: ")
    data = report.to_json(result)
    json.dumps(data)  # plain JSON
    assert [s["name"] for s in data["scenarios"]] == ["baseline", "mild", "strong", "guarded"]
    assert data["scenarios"][2]["result"] == "failed"
    assert data["scenarios"][2]["stats"]["drop"] == pytest.approx(10.0)
    assert len(data["scenarios"][0]["episodes"]) == 6
    root = report.junit_xml(result)
    ts = root.find("testsuite")
    assert ts.get("name") == "fake"
    names = [tc.get("name") for tc in ts.iter("testcase")]
    assert names == [
        "baseline: min_mean_return",
        "mild: max_drop",
        "strong: min_mean_return",
        "strong: max_drop",
        "strong: max_drop_relative",
        "guarded: max_drop",
        "guarded: max_guardrail_trips",
        "guarded: max_cost",
    ]
    assert ts.get("tests") == "8" and ts.get("failures") == "4" and ts.get("errors") == "0"


SLOW_STEP_S = 0.03  # x 10 steps x 2 seeds: 0.6 s that only the "slow" scenario spends


def test_junit_times_are_measured_per_testcase(tmp_path):
    result = run_fake(tmp_path, f"""
        name = "timed"
        env = "Fake-v0"
        seeds = [0, 1]
        episodes = 1
        [baseline]
        thresholds = {{ min_mean_return = 0.0 }}
        [[scenarios]]
        name = "slow"
        faults = [{{ kind = "slow", seconds = {SLOW_STEP_S} }}]
        thresholds = {{ min_mean_return = 0.0, max_drop = 100.0 }}
    """)
    ts = report.junit_xml(result).find("testsuite")
    times = {tc.get("name"): float(tc.get("time")) for tc in ts.iter("testcase")}
    slow_run = SLOW_STEP_S * 10 * 2
    assert times["slow: min_mean_return"] >= slow_run  # the scenario's episodes, once
    # A case that plays nothing slow takes far less than the slow one (not an even share).
    assert times["baseline: min_mean_return"] < slow_run / 2
    assert times["slow: max_drop"] < slow_run / 2  # judging only: the episodes are counted once
    assert float(ts.get("time")) >= sum(times.values()) - 0.01  # one process: wall >= parts


def test_replays_of_failing_episodes_kept(tmp_path):
    replays = tmp_path / "replays"
    result = run_fake(tmp_path, replays=replays)
    kept = sorted(p.name for p in replays.iterdir())
    # strong fails min_mean_return (seeds 1, 2) and both drops (every episode: each pair
    # drops 5..15 > 1): all of strong, and the paired baseline episodes; guarded fails trips
    # on every episode. mild passes: nothing of it is kept.
    expected = sorted(
        [f"strong-s{s}-e{k}.sprp" for s in range(3) for k in range(2)]
        + [f"baseline-s{s}-e{k}.sprp" for s in range(3) for k in range(2)]
        + [f"guarded-s{s}-e{k}.sprp" for s in range(3) for k in range(2)]
    )
    assert kept == expected
    assert (replays / "strong-s1-e1.sprp").read_text() == "1001"  # seed stream continued
    assert len(result.kept_replays) == len(expected)


def test_episode_errors_are_reported_not_judged(tmp_path):
    text = (
        FAKE_SUITE
        + """
    [[scenarios]]
    name = "broken"
    faults = [{ kind = "crash" }]
    thresholds = { min_mean_return = 0.0 }
    """
    )
    replays = tmp_path / "r"
    result = run_fake(tmp_path, text, replays)
    broken = [s for s in result.scenarios if s.name == "broken"][0]
    assert broken.errors and "fake refusal" in broken.errors[0]
    assert all(c.error for c in broken.checks)
    assert result.exit_code == 3
    assert (replays / "broken-s0-e0.sprp").exists()  # the cut-short episode is kept
    root = report.junit_xml(result)
    assert root.find("testsuite").get("errors") == "2"  # broken: min_mean_return, max_drop


# -- schema --------------------------------------------------------------------------------

GOOD = """
    env = "CartPole-v0"
    seeds = [0, 1]
    [[scenarios]]
    name = "noise"
    faults = [{ kind = "noise", sigma = 0.01 }]
"""

BAD = [
    ("seeds = [0, 1]\n[[scenarios]]\nname='a'\nfaults=[]\n", "env: missing"),
    (
        'env = "CartPole-v0"\nseeds = [0, 1]\nepisodes = 0\n[[scenarios]]\nname="a"\nfaults=[]\n',
        "episodes: must be in [1, 10000] (got 0)",
    ),
    (
        'env = "CartPole-v0"\nseeds = [0, 0]\n[[scenarios]]\nname="a"\nfaults=[]\n',
        "seeds[1]: seed 0 is listed twice",
    ),
    (
        'env = "CartPole-v0"\nseeds = [0, "x"]\n[[scenarios]]\nname="a"\nfaults=[]\n',
        'seeds[1]: must be an integer (got "x")',
    ),
    (
        'env = "CartPole-v0"\nseeds = [0]\nsead = 1\n[[scenarios]]\nname="a"\nfaults=[]\n',
        "sead: unknown key",
    ),
    (
        'env = "CartPole-v0"\nseeds = [0]\n[[scenarios]]\nname="a"\nfaults=[]\n'
        '[scenarios.thresholds]\nmax_drop = "big"\n',
        'scenarios[0].thresholds.max_drop: must be a number >= 0 (got "big")',
    ),
    (
        'env = "CartPole-v0"\nseeds = [0]\n[[scenarios]]\nname="a"\nfaults=[]\n'
        "[scenarios.thresholds]\nmin_return = 1\n",
        "scenarios[0].thresholds.min_return: unknown key",
    ),
    (
        'env = "CartPole-v0"\nseeds = [0]\n[[scenarios]]\nname="a"\nfaults=[{sigma=1}]\n',
        "scenarios[0].faults[0].kind: missing",
    ),
    ('env = "CartPole-v0"\nseeds = [0]\n[[scenarios]]\nname="a"\n', "scenarios[0].faults: missing"),
    (
        'env = "CartPole-v0"\nseeds = [0]\n[[scenarios]]\nname="a"\nfaults=[]\n'
        '[[scenarios]]\nname="a"\nfaults=[]\n',
        'scenarios[1].name: "a" is already used by scenarios[0].name',
    ),
    (
        'env = "CartPole-v0"\nseeds = [0]\n[baseline]\nfaults = []\n[[scenarios]]\nname="a"\n'
        "faults=[]\n",
        "baseline.faults: the baseline runs without faults",
    ),
    (
        'env = "CartPole-v0"\nseeds = [0]\n[baseline.thresholds]\nmax_drop = 1\n[[scenarios]]\n'
        'name="a"\nfaults=[]\n',
        "baseline.thresholds.max_drop: the baseline has no baseline",
    ),
    (
        'env = "CartPole-v0"\nseeds = [0]\n[[scenario]]\nname="a"\nfaults=[]\n',
        "scenario: unknown key: scenarios are [[scenarios]]",
    ),
    (
        'env = "CartPole-v0"\nseeds = [0]\n[[scenarios]]\nname="a b"\nfaults=[]\n',
        'scenarios[0].name: "a b" is not a usable name',
    ),
    ('env = "CartPole-v0"\nseeds = = [0]\n', "not valid TOML"),
]


def test_good_suite_parses(tmp_path):
    suite = load_suite(write(tmp_path, GOOD))
    assert suite.name == "suite" and suite.env == "CartPole-v0" and suite.episodes == 1
    assert [s.name for s in suite.all_scenarios] == ["baseline", "noise"]
    assert suite.scenarios[0].faults == [{"kind": "noise", "sigma": 0.01}]


@pytest.mark.parametrize("text,message", BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_bad_suite_refused_naming_the_key(tmp_path, capsys, text, message):
    path = write(tmp_path, text)
    with pytest.raises(SuiteError) as e:
        load_suite(path)
    assert message in str(e.value) and str(path) in str(e.value)
    assert faults_main(["run", str(path), "--agent", "sandpit.agents:cartpole"]) == 2
    assert message in capsys.readouterr().err


def test_bad_usage_exit_2(tmp_path):
    path = write(tmp_path, GOOD)
    cmd = [sys.executable, "-m", "sandpit.faults", "run", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--agent" in proc.stderr
    proc = subprocess.run(cmd + ["--agent", "x", "--jobs", "0"], capture_output=True, text=True)
    assert proc.returncode == 2 and "--jobs" in proc.stderr


def test_agent_loading_errors():
    with pytest.raises(AgentError, match="expected pkg.module:make_agent"):
        load_agent_factory("sandpit.agents")
    with pytest.raises(AgentError, match="cannot import"):
        load_agent_factory("no_such_module_xyz:f")
    with pytest.raises(AgentError, match="has no attribute nope"):
        load_agent_factory("sandpit.agents:nope")
    assert load_agent_factory("sandpit.agents:cartpole") is sandpit.agents.cartpole


def test_shipped_suites_validate():
    for name in SMOKE:
        suite = load_suite(SUITES / name)
        assert len(suite.scenarios) >= 3
    assert faults_main(["check", *(str(SUITES / n) for n in SMOKE)]) == 0


# -- end to end, real server ---------------------------------------------------------------


def cli(
    *args: str, endpoint: Optional[str] = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "sandpit.faults", "run", *args]
    if endpoint:
        cmd += ["--endpoint", endpoint]
    return subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={
            **os.environ,
            "PYTHONPATH": str(Path(__file__).parent)
            + os.pathsep
            + os.environ.get("PYTHONPATH", ""),
        },
    )


@pytest.mark.parametrize("name", sorted(SMOKE))
def test_smoke_suite_passes(name, endpoint, tmp_path):
    junit = tmp_path / "junit.xml"
    proc = cli(
        str(SUITES / name),
        "--agent",
        SMOKE[name],
        "--junit",
        str(junit),
        "--replays",
        str(tmp_path / "replays"),
        endpoint=endpoint,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ts = ET.parse(junit).getroot().find("testsuite")
    assert ts.get("failures") == "0" and ts.get("errors") == "0" and int(ts.get("tests")) >= 4
    assert not any((tmp_path / "replays").iterdir())  # nothing failed, nothing kept


E2E = """
    name = "{name}"
    env = "CartPole-v0"
    seeds = [3, 4]
    episodes = 2
    max_steps = 200
    [baseline]
    thresholds = {{ min_mean_return = 190.0 }}
    [[scenarios]]
    name = "noise"
    faults = [{{ kind = "noise", target = "*", sigma = 0.005 }}]
    thresholds = {{ min_mean_return = 190.0, max_drop = 5.0 }}
    [[scenarios]]
    name = "blind"
    description = "the pole's readings are frozen from step 5: it must fall"
    faults = [{{ kind = "stuck", target = "pole.*", schedule = {{ type = "window", start = 5 }} }}]
    thresholds = {{ min_mean_return = {blind_min}, max_drop_relative = {blind_rel} }}
"""


def test_passing_suite_end_to_end(endpoint, tmp_path):
    path = write(tmp_path, E2E.format(name="e2e-pass", blind_min=1.0, blind_rel=1.0))
    junit, js = tmp_path / "j.xml", tmp_path / "r.json"
    proc = cli(
        str(path),
        "--agent",
        "sandpit.agents:cartpole",
        "--junit",
        str(junit),
        "--json",
        str(js),
        "--replays",
        str(tmp_path / "rp"),
        endpoint=endpoint,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASSED: 5 of 5 threshold(s) passed" in proc.stdout
    root = ET.parse(junit).getroot()
    assert root.get("tests") == "5" and root.get("failures") == "0"
    data = json.loads(js.read_text())
    assert data["passed"] and data["exit_code"] == 0
    assert data["scenarios"][0]["stats"]["mean_return"] == 200.0
    assert [e["seed"] for e in data["scenarios"][1]["episodes"]] == [3, 3, 4, 4]
    assert data["scenarios"][2]["stats"]["mean_return"] < 150  # the pole fell
    assert not list((tmp_path / "rp").iterdir())


def test_failing_suite_end_to_end(endpoint, tmp_path):
    path = write(tmp_path, E2E.format(name="e2e-fail", blind_min=150.0, blind_rel=0.1))
    junit, js, rp = tmp_path / "j.xml", tmp_path / "r.json", tmp_path / "rp"
    proc = cli(
        str(path),
        "--agent",
        "sandpit.agents:cartpole",
        "--junit",
        str(junit),
        "--json",
        str(js),
        "--replays",
        str(rp),
        endpoint=endpoint,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL blind: mean return" in proc.stdout
    root = ET.parse(junit).getroot()
    ts = root.find("testsuite")
    assert ts.get("name") == "e2e-fail"
    assert (ts.get("tests"), ts.get("failures"), ts.get("errors")) == ("5", "2", "0")
    failures = {tc.get("name"): tc.find("failure") for tc in ts.iter("testcase")}
    assert failures["baseline: min_mean_return"] is None
    assert failures["noise: max_drop"] is None
    fail = failures["blind: min_mean_return"]
    assert fail is not None and fail.get("type") == "min_mean_return"
    assert "< 150 (min_mean_return)" in fail.get("message")
    rel = failures["blind: max_drop_relative"]
    assert rel is not None and "> 10.00% (max_drop_relative)" in rel.get("message")
    assert "baseline mean 200" in rel.get("message")
    data = json.loads(js.read_text())
    blind = data["scenarios"][2]
    # every blind episode failed, so all four are kept, with their paired baseline episodes
    kept = sorted(p.name for p in rp.iterdir())
    assert kept == sorted(
        [f"blind-s{s}-e{k}.sprp" for s in (3, 4) for k in (0, 1)]
        + [f"baseline-s{s}-e{k}.sprp" for s in (3, 4) for k in (0, 1)]
    )
    assert sorted(os.path.basename(p) for p in data["kept_replays"]) == kept
    assert all(e["replay"] for e in blind["episodes"])
    verify = subprocess.run(
        [os.environ["SANDPIT_BIN"], "replay", "verify", *(str(rp / k) for k in kept)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.count("OK ") == len(kept)
    # the recorded episode is the one judged: the same return and length
    first = sandpit.replay.load(rp / "blind-s3-e0.sprp")
    assert first.summary["return"] == blind["episodes"][0]["return"]
    assert first.steps == blind["episodes"][0]["length"]


def test_jobs_do_not_change_results(endpoint, tmp_path):
    path = write(tmp_path, E2E.format(name="e2e-jobs", blind_min=1.0, blind_rel=1.0))
    outs = []
    for jobs in ("1", "2"):
        js = tmp_path / f"r{jobs}.json"
        proc = cli(
            str(path),
            "--agent",
            "sandpit.agents:cartpole",
            "--jobs",
            jobs,
            "--json",
            str(js),
            endpoint=endpoint,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        data = json.loads(js.read_text())
        for key in ("elapsed_s", "jobs"):
            data.pop(key)
        outs.append(data)
    assert outs[0] == outs[1]


def test_fault_refused_by_server_is_a_suite_error(endpoint, tmp_path):
    path = write(
        tmp_path,
        """
        env = "CartPole-v0"
        seeds = [0]
        [[scenarios]]
        name = "ok"
        faults = []
        [[scenarios]]
        name = "negative"
        faults = [{ kind = "noise", sigma = -1.0 }]
    """,
    )
    proc = cli(str(path), "--agent", "sandpit.agents:cartpole", endpoint=endpoint)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "scenarios[1] (negative)" in proc.stderr and "sigma" in proc.stderr


def test_unknown_env_and_wrong_agent_are_usage_errors(endpoint, tmp_path):
    path = write(
        tmp_path,
        GOOD.replace("CartPole-v0", "NoSuchEnv-v0").replace(
            'faults = [{ kind = "noise", sigma = 0.01 }]', "faults = []"
        ),
    )
    proc = cli(str(path), "--agent", "sandpit.agents:cartpole", endpoint=endpoint)
    assert proc.returncode == 2 and "env: " in proc.stderr and "NoSuchEnv-v0" in proc.stderr
    path = write(
        tmp_path, GOOD.replace('faults = [{ kind = "noise", sigma = 0.01 }]', "faults = []")
    )
    proc = cli(str(path), "--agent", "sandpit.agents:pendulum", endpoint=endpoint)
    assert proc.returncode == 2 and "does not control CartPole-v0" in proc.stderr


def test_without_faults_the_runner_works_today(endpoint, tmp_path):
    """Runs on any server: fault-free scenarios, judged and reported, jobs 1 and 2 equal."""
    path = write(
        tmp_path,
        """
        env = "Acrobot-v0"
        seeds = [0, 1, 2]
        [baseline]
        thresholds = { min_mean_return = -300.0 }
        [[scenarios]]
        name = "same"
        faults = []
        thresholds = { max_drop = 0.0 }
        [[scenarios]]
        name = "too-strict"
        faults = []
        thresholds = { min_mean_return = 0.0 }
    """,
    )
    outs = []
    for jobs in ("1", "2"):
        js, junit = tmp_path / f"{jobs}.json", tmp_path / f"{jobs}.xml"
        proc = cli(
            str(path),
            "--agent",
            "sandpit.agents:acrobot",
            "--jobs",
            jobs,
            "--json",
            str(js),
            "--junit",
            str(junit),
            endpoint=endpoint,
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr
        data = json.loads(js.read_text())
        assert data["scenarios"][1]["stats"]["drop"] == 0.0
        ts = ET.parse(junit).getroot().find("testsuite")
        assert (ts.get("tests"), ts.get("failures")) == ("3", "1")
        for key in ("elapsed_s", "jobs"):
            data.pop(key)
        outs.append(data)
    assert outs[0] == outs[1]
