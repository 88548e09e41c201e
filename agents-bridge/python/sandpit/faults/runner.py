"""Runs a fault suite: the matrix scenarios x seeds, in worker processes, and judges it.

The unit of work is one (scenario, seed): a fresh env made with the scenario's faults and
guardrails, a fresh agent from the factory, ``episodes`` episodes (the first reset with the
seed, the later ones continuing the env's seed stream, as Gymnasium does). Nothing is shared
between units, so a unit's results are a function of (suite, agent, scenario, seed) alone and
do not depend on ``jobs`` or on which process ran it. Every scenario plays the same seeds as
the baseline, so episode k of seed s under a fault is paired with episode k of seed s
without it, and the drop is measured on the same initial states.

The agent contract (also in docs/FAULTS.md, "Fault suites"):

``make_agent(env_id: str, spec: dict)`` is called once per (scenario, seed) with the env id
and the server's spec of the env (``env.sandpit_spec``: channel names, units, bounds, dt). It
returns either a callable ``act(obs) -> action`` or an object with ``act(obs)`` and optionally
``reset(seed)``, called before every episode with the episode's seed. ``obs`` is the
float32 observation (faults applied: it may hold NaN under an ``outage`` in ``nan`` mode);
the action is what ``env.step`` takes (an int for a discrete env, a float32 array for a
continuous one). An agent that draws random numbers must seed them in ``reset`` (or from
nothing but what it was given) for the suite to be reproducible.
"""

from __future__ import annotations

import importlib
import inspect
import math
import multiprocessing
import os
import shutil
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from .suite import THRESHOLD_KEYS, Scenario, Suite, SuiteError, Thresholds

__all__ = [
    "AgentError",
    "Check",
    "EpisodeResult",
    "ScenarioResult",
    "SuiteResult",
    "UnitResult",
    "load_agent_factory",
    "preflight",
    "run_suite",
    "run_unit",
    "evaluate",
]

EnvFactory = Callable[..., Any]


class AgentError(ValueError):
    """The ``--agent`` reference cannot be imported or does not give an agent."""


# -- agents --------------------------------------------------------------------------------


def load_agent_factory(ref: str) -> Callable[[str, Optional[Dict[str, Any]]], Any]:
    """Imports ``pkg.module:attr`` (attr may be dotted) and returns the callable it names."""
    if not isinstance(ref, str) or ref.count(":") != 1:
        raise AgentError(f"--agent {ref!r}: expected pkg.module:make_agent")
    module_name, attr = ref.split(":")
    if not module_name or not attr:
        raise AgentError(f"--agent {ref!r}: expected pkg.module:make_agent")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as e:
        raise AgentError(f"--agent {ref}: cannot import {module_name}: {e}") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AgentError(f"--agent {ref}: {module_name} has no attribute {attr}") from None
    if not callable(obj):
        raise AgentError(f"--agent {ref}: {attr} is not callable")
    return obj


class _Agent:
    """Adapts what a factory returned to act(obs) and reset(seed)."""

    def __init__(self, made: Any, ref: str) -> None:
        act = getattr(made, "act", None)
        if callable(act):
            self.act = act
        elif callable(made):
            self.act = made
        else:
            raise AgentError(
                f"--agent {ref}: the factory returned {type(made).__name__}, which is neither "
                "callable nor has an act(obs) method"
            )
        reset = getattr(made, "reset", None) if callable(act) else None
        self._reset = reset if callable(reset) else None
        self._reset_takes_seed = False
        if self._reset is not None:
            try:
                params = inspect.signature(self._reset).parameters.values()
                self._reset_takes_seed = any(
                    p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
                    for p in params
                ) or "seed" in {p.name for p in params}
            except (TypeError, ValueError):
                self._reset_takes_seed = True

    def reset(self, seed: int) -> None:
        if self._reset is None:
            return
        if self._reset_takes_seed:
            self._reset(seed)
        else:
            self._reset()


# -- one unit: (scenario, seed) ---------------------------------------------------------------


@dataclass
class EpisodeResult:
    """One episode of a scenario. ``index`` counts the episodes of ``seed`` from 0."""

    seed: int
    index: int
    episode_seed: Optional[int] = None
    ret: float = 0.0
    length: int = 0
    reason: Optional[str] = None
    trips: int = 0
    trips_by_reason: Dict[str, int] = field(default_factory=dict)
    cost: float = 0.0
    replay: Optional[str] = None  # the recorded file while the run lasts; then the kept copy
    error: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        return {
            "seed": self.seed,
            "index": self.index,
            "episode_seed": self.episode_seed,
            "return": self.ret,
            "length": self.length,
            "reason": self.reason,
            "guardrail_trips": self.trips,
            "guardrail_trips_by_reason": dict(sorted(self.trips_by_reason.items())),
            "cost": self.cost,
            "replay": self.replay,
            "error": self.error,
        }


@dataclass
class UnitSpec:
    """Everything a worker needs to run one (scenario, seed); picklable."""

    env_id: str
    agent_ref: str
    scenario: str
    faults: List[Dict[str, Any]]
    guardrails: Optional[Dict[str, Any]]
    seed: int
    episodes: int
    max_steps: Optional[int]
    endpoint: Optional[str]
    record_dir: Optional[str]
    timeout: Optional[float] = None
    observation: Dict[str, Any] = field(default_factory=dict)


@dataclass
class UnitResult:
    scenario: str
    seed: int
    episodes: List[EpisodeResult]
    error: Optional[str] = None
    traceback: Optional[str] = None
    elapsed_s: float = 0.0  # measured where the unit ran (a worker process with jobs > 1)


def env_kwargs(
    faults: Sequence[Dict[str, Any]],
    guardrails: Optional[Dict[str, Any]],
    seed: Optional[int],
    max_steps: Optional[int],
    record_dir: Optional[str],
    timeout: Optional[float] = None,
    observation: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """The keyword arguments of ``sandpit.make`` for a scenario. Fields a scenario does not
    use are left out, so a baseline without guardrails or recording asks the server for
    nothing beyond a plain env."""
    kwargs: Dict[str, Any] = {}
    if seed is not None:
        kwargs["seed"] = seed
    if max_steps is not None:
        kwargs["max_steps"] = max_steps
    if timeout is not None:
        kwargs["timeout"] = timeout
    if faults:
        kwargs["faults"] = [dict(f) for f in faults]
    if guardrails:
        kwargs["guardrails"] = dict(guardrails)
    if record_dir is not None:
        kwargs["record"] = record_dir
    kwargs.update(observation or {})
    return kwargs


def _default_env_factory(env_id: str, endpoint: Optional[str], **kwargs: Any) -> Any:
    import sandpit

    return sandpit.make(env_id, endpoint, **kwargs)


def _step_cost(info: Dict[str, Any]) -> float:
    cost = info.get("cost")
    if cost is None:
        return 0.0
    if isinstance(cost, dict):  # tolerate {"step": c, "episode": C}
        cost = cost.get("step", 0.0)
    value = float(cost)
    return value if value > 0.0 else 0.0


def _count_trips(info: Dict[str, Any], ep: EpisodeResult) -> None:
    events = info.get("guardrail") or ()
    for event in events:
        ep.trips += 1
        reason = event.get("reason", "?") if isinstance(event, dict) else str(event)
        ep.trips_by_reason[reason] = ep.trips_by_reason.get(reason, 0) + 1


_FACTORIES: Dict[str, Callable[..., Any]] = {}


def run_unit(unit: UnitSpec, env_factory: Optional[EnvFactory] = None) -> UnitResult:
    """Plays one (scenario, seed): ``unit.episodes`` episodes on a fresh env and agent.

    An exception (the agent raised, the server refused an action, the connection was lost)
    ends the unit: the episode it happened in carries ``error``, later ones are not played.
    """
    started = time.monotonic()
    factory = env_factory or _default_env_factory
    out = UnitResult(unit.scenario, unit.seed, [])
    if unit.agent_ref not in _FACTORIES:
        _FACTORIES[unit.agent_ref] = load_agent_factory(unit.agent_ref)
    make_agent = _FACTORIES[unit.agent_ref]
    env = None
    ep: Optional[EpisodeResult] = None
    try:
        kwargs = env_kwargs(
            unit.faults,
            unit.guardrails,
            unit.seed,
            unit.max_steps,
            unit.record_dir,
            unit.timeout,
            unit.observation,
        )
        env = factory(unit.env_id, unit.endpoint, **kwargs)
        spec = getattr(env, "sandpit_spec", None)
        agent = _Agent(make_agent(unit.env_id, spec), unit.agent_ref)
        for k in range(unit.episodes):
            ep = EpisodeResult(seed=unit.seed, index=k)
            out.episodes.append(ep)
            obs, info = env.reset(seed=unit.seed) if k == 0 else env.reset()
            ep.episode_seed = int(info["seed"]) if "seed" in info else None
            _count_trips(info, ep)
            agent.reset(ep.episode_seed if ep.episode_seed is not None else unit.seed)
            while True:
                obs, reward, terminated, truncated, info = env.step(agent.act(obs))
                ep.ret += float(reward)
                ep.length += 1
                _count_trips(info, ep)
                ep.cost += _step_cost(info)
                if terminated or truncated:
                    ep.reason = info.get("reason")
                    break
            ep = None
    except Exception as e:  # noqa: BLE001 - reported per episode, the suite goes on
        message = f"{type(e).__name__}: {e}"
        if not out.episodes or ep is None:
            # before the first episode (make, the agent factory) or between episodes
            out.error = message
        else:
            ep.error = message
            out.error = f"seed {unit.seed} episode {ep.index}: {message}"
        out.traceback = traceback.format_exc()
    finally:
        if env is not None:
            try:
                env.close()
            except Exception:  # noqa: BLE001 - closing a broken env must not hide the error
                pass
    if unit.record_dir is not None:
        files = (
            sorted(Path(unit.record_dir).glob("*.sprp")) if os.path.isdir(unit.record_dir) else []
        )
        for ep_result, path in zip(out.episodes, files):
            ep_result.replay = str(path)
    out.elapsed_s = time.monotonic() - started
    return out


def _pool_run(unit: UnitSpec) -> UnitResult:
    return run_unit(unit)


# -- judging -------------------------------------------------------------------------------


@dataclass
class Check:
    """One threshold of one scenario, judged."""

    scenario: str
    key: str
    limit: float
    value: Optional[float]
    passed: bool
    message: str
    error: bool = False
    failing: List[Tuple[int, int]] = field(default_factory=list)  # (seed, index) of episodes
    elapsed_s: float = 0.0  # judging it (its scenario's episodes are ScenarioResult.run_s)

    def to_json(self) -> Dict[str, Any]:
        return {
            "threshold": self.key,
            "limit": self.limit,
            "value": self.value,
            "passed": self.passed,
            "error": self.error,
            "message": self.message,
            "failing_episodes": [{"seed": s, "index": k} for s, k in self.failing],
        }


@dataclass
class ScenarioResult:
    scenario: Scenario
    episodes: List[EpisodeResult]
    errors: List[str] = field(default_factory=list)
    checks: List[Check] = field(default_factory=list)
    drops: Optional[List[float]] = None  # paired, in episode order; None for the baseline
    run_s: float = 0.0  # playing its episodes: the sum of its (scenario, seed) units' times

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def returns(self) -> List[float]:
        return [e.ret for e in self.episodes if e.error is None]

    @property
    def complete(self) -> bool:
        return not self.errors

    def stats(self) -> Dict[str, Optional[float]]:
        rets = self.returns
        n = len(rets)
        trips = [e.trips for e in self.episodes if e.error is None]
        costs = [e.cost for e in self.episodes if e.error is None]
        mean = math.fsum(rets) / n if n else None
        out: Dict[str, Optional[float]] = {
            "episodes": float(n),
            "mean_return": mean,
            "std_return": _std(rets),
            "min_return": min(rets) if n else None,
            "max_return": max(rets) if n else None,
            "mean_length": math.fsum(e.length for e in self.episodes if e.error is None) / n
            if n
            else None,
            "guardrail_trips_per_episode": math.fsum(trips) / n if n else None,
            "max_guardrail_trips": float(max(trips)) if n else None,
            "cost_per_episode": math.fsum(costs) / n if n else None,
            "max_cost": max(costs) if n else None,
            "drop": None,
            "drop_std": None,
            "drop_relative": None,
        }
        if self.drops is not None and self.drops:
            out["drop"] = math.fsum(self.drops) / len(self.drops)
            out["drop_std"] = _std(self.drops)
        return out

    @property
    def failed(self) -> bool:
        return any(not c.passed for c in self.checks)


def _std(values: Sequence[float]) -> Optional[float]:
    """The sample standard deviation (n - 1); 0 for one value, None for none."""
    n = len(values)
    if n == 0:
        return None
    if n == 1:
        return 0.0
    mean = math.fsum(values) / n
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))


def _fmt(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{x:.6g}"


def evaluate(baseline: ScenarioResult, result: ScenarioResult, suite: Suite) -> None:
    """Pairs ``result`` with the baseline and judges its thresholds (fills ``checks``)."""
    sc = result.scenario
    n_expected = len(suite.seeds) * suite.episodes
    base_by_key = {(e.seed, e.index): e for e in baseline.episodes if e.error is None}
    if not sc.is_baseline:
        result.drops = [
            base_by_key[(e.seed, e.index)].ret - e.ret
            for e in result.episodes
            if e.error is None and (e.seed, e.index) in base_by_key
        ]
    stats = result.stats()
    base_stats = baseline.stats()
    base_mean = base_stats["mean_return"]
    if result.drops is not None and stats["drop"] is not None and base_mean is not None:
        drop = stats["drop"]
        stats_rel = drop / abs(base_mean) if base_mean != 0 else (math.inf if drop > 0 else 0.0)
    else:
        stats_rel = None
    result.checks = []
    ok_eps = [e for e in result.episodes if e.error is None]
    for key, limit in sc.thresholds.items():
        judging = time.monotonic()
        incomplete = not result.complete or len(ok_eps) < n_expected
        needs_base = key in ("max_drop", "max_drop_relative")
        if incomplete or (needs_base and (not baseline.complete or base_mean is None)):
            who = "the baseline" if needs_base and not incomplete else f"scenario {sc.name}"
            result.checks.append(
                Check(
                    sc.name,
                    key,
                    limit,
                    None,
                    False,
                    f"{key}: not judged: {who} did not run to the end",
                    error=True,
                    elapsed_s=time.monotonic() - judging,
                )
            )
            continue
        if key == "min_mean_return":
            value = stats["mean_return"]
            passed = value >= limit
            failing = [(e.seed, e.index) for e in ok_eps if e.ret < limit]
            cmp = ">=" if passed else "<"
            msg = f"mean return {_fmt(value)} {cmp} {_fmt(limit)} (min_mean_return)"
        elif key == "max_drop":
            value = stats["drop"]
            passed = value <= limit
            pairs = [(e, base_by_key[(e.seed, e.index)]) for e in ok_eps]
            failing = [(e.seed, e.index) for e, b in pairs if b.ret - e.ret > limit]
            msg = (
                f"return drop {_fmt(value)} {'<=' if passed else '>'} {_fmt(limit)} (max_drop): "
                f"baseline mean {_fmt(base_mean)}, scenario mean {_fmt(stats['mean_return'])}"
            )
        elif key == "max_drop_relative":
            value = stats_rel
            passed = value <= limit
            scale = abs(base_mean) if base_mean else 0.0
            pairs = [(e, base_by_key[(e.seed, e.index)]) for e in ok_eps]
            failing = [
                (e.seed, e.index)
                for e, b in pairs
                if (b.ret - e.ret) > limit * scale and (scale > 0 or b.ret - e.ret > 0)
            ]
            msg = (
                f"relative return drop {value:.2%} {'<=' if passed else '>'} {limit:.2%} "
                f"(max_drop_relative): baseline mean {_fmt(base_mean)}, scenario mean "
                f"{_fmt(stats['mean_return'])}"
            )
        elif key == "max_guardrail_trips":
            value = stats["guardrail_trips_per_episode"]
            passed = value <= limit
            failing = [(e.seed, e.index) for e in ok_eps if e.trips > limit]
            msg = (
                f"guardrail trips per episode {_fmt(value)} {'<=' if passed else '>'} "
                f"{_fmt(limit)} (max_guardrail_trips)"
            )
        elif key == "max_cost":
            value = stats["cost_per_episode"]
            passed = value <= limit
            failing = [(e.seed, e.index) for e in ok_eps if e.cost > limit]
            msg = (
                f"cost per episode {_fmt(value)} {'<=' if passed else '>'} {_fmt(limit)} (max_cost)"
            )
        else:  # pragma: no cover - the schema allows no other key
            raise AssertionError(key)
        if not passed and not failing:
            failing = [(e.seed, e.index) for e in ok_eps]
        result.checks.append(
            Check(
                sc.name,
                key,
                limit,
                value,
                passed,
                msg,
                failing=[] if passed else failing,
                elapsed_s=time.monotonic() - judging,
            )
        )


# -- the suite -----------------------------------------------------------------------------


@dataclass
class SuiteResult:
    suite: Suite
    agent: str
    jobs: int
    scenarios: List[ScenarioResult]
    elapsed_s: float
    replays_dir: Optional[str] = None
    kept_replays: List[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(c for s in self.scenarios for c in s.checks if not c.passed and not c.error)

    @property
    def errored(self) -> bool:
        return any(s.errors for s in self.scenarios)

    @property
    def exit_code(self) -> int:
        """0 passed, 1 a threshold failed, 3 an episode could not be run."""
        if self.errored:
            return 3
        return 1 if self.failed else 0

    def stats(self, name: str) -> Dict[str, Optional[float]]:
        for s in self.scenarios:
            if s.name == name:
                return s.stats()
        raise KeyError(name)


def preflight(
    suite: Suite,
    agent_ref: str,
    endpoint: Optional[str],
    env_factory: Optional[EnvFactory] = None,
    timeout: Optional[float] = None,
) -> None:
    """Checks everything that can be checked before running: the agent imports and accepts
    the env, and the server accepts every scenario's faults and guardrails.

    Raises:
        AgentError: the agent reference or factory is unusable.
        SuiteError: the env or a scenario is refused by the server (naming the scenario).
    """
    from ..errors import ServerError

    factory = env_factory or _default_env_factory
    make_agent = load_agent_factory(agent_ref)
    for sc in suite.all_scenarios:
        kwargs = env_kwargs(
            sc.faults, sc.guardrails, 0, suite.max_steps, None, timeout, suite.observation
        )
        try:
            env = factory(suite.env, endpoint, **kwargs)
        except ServerError as e:
            if e.code == "unknown_env":
                raise SuiteError(f"{suite.path or suite.name}: env: {e.message}") from None
            what = "faults or guardrails" if (sc.faults or sc.guardrails) else "env"
            raise SuiteError(
                f"{suite.path or suite.name}: {sc.key} ({sc.name}): the server refused its "
                f"{what}: {e.message or e.code}"
            ) from None
        try:
            if sc.is_baseline:
                try:
                    made = make_agent(suite.env, getattr(env, "sandpit_spec", None))
                except Exception as e:  # noqa: BLE001 - any failure is the agent's
                    raise AgentError(
                        f"--agent {agent_ref}: make_agent({suite.env!r}, spec) raised "
                        f"{type(e).__name__}: {e}"
                    ) from None
                _Agent(made, agent_ref)
        finally:
            env.close()


def run_suite(
    suite: Suite,
    agent_ref: str,
    *,
    endpoint: Optional[str] = None,
    jobs: int = 1,
    replays_dir: Optional[str] = None,
    env_factory: Optional[EnvFactory] = None,
    timeout: Optional[float] = None,
    record_root: Optional[str] = None,
    progress: Optional[Callable[[int, int], None]] = None,
) -> SuiteResult:
    """Runs every (scenario, seed) unit, judges the thresholds and keeps failing replays.

    With ``replays_dir`` every episode is recorded (``record=`` a temporary directory, which
    the server must be able to write: a local server, or one sharing the file system); the
    replays of failing episodes are moved to ``replays_dir`` and the rest deleted.
    ``env_factory(env_id, endpoint, **kwargs)`` replaces ``sandpit.make`` (for tests); with
    ``jobs > 1`` it must be picklable. ``progress(done, total)`` is called as (scenario, seed)
    units finish.
    """
    started = time.monotonic()
    temp_root: Optional[str] = None
    if replays_dir is not None:
        os.makedirs(replays_dir, exist_ok=True)
        temp_root = tempfile.mkdtemp(prefix=f"sandpit-suite-{suite.name}-", dir=record_root)
    try:
        units: List[UnitSpec] = []
        for sc in suite.all_scenarios:
            for seed in suite.seeds:
                record = None
                if temp_root is not None:
                    record = os.path.join(temp_root, sc.name, f"seed-{seed}")
                    os.makedirs(record, exist_ok=True)
                units.append(
                    UnitSpec(
                        env_id=suite.env,
                        agent_ref=agent_ref,
                        scenario=sc.name,
                        faults=sc.faults,
                        guardrails=sc.guardrails,
                        seed=seed,
                        episodes=suite.episodes,
                        max_steps=suite.max_steps,
                        endpoint=endpoint,
                        record_dir=record,
                        timeout=timeout,
                        observation=suite.observation,
                    )
                )
        results = _run_units(units, jobs, env_factory, progress)
        by_scenario: Dict[str, List[UnitResult]] = {}
        for r in results:
            by_scenario.setdefault(r.scenario, []).append(r)
        scenario_results = []
        for sc in suite.all_scenarios:
            unit_results = sorted(
                by_scenario.get(sc.name, []), key=lambda u: suite.seeds.index(u.seed)
            )
            episodes = [e for u in unit_results for e in u.episodes]
            errors = [
                f"seed {u.seed}: {u.error}" if not u.error.startswith("seed ") else u.error
                for u in unit_results
                if u.error
            ]
            run_s = math.fsum(u.elapsed_s for u in unit_results)
            scenario_results.append(ScenarioResult(sc, episodes, errors, run_s=run_s))
        baseline = scenario_results[0]
        for res in scenario_results:
            evaluate(baseline, res, suite)
        out = SuiteResult(suite, agent_ref, jobs, scenario_results, 0.0, replays_dir=replays_dir)
        if replays_dir is not None:
            _keep_replays(out, replays_dir)
        else:
            for res in scenario_results:
                for e in res.episodes:
                    e.replay = None
        out.elapsed_s = time.monotonic() - started
        return out
    finally:
        if temp_root is not None:
            shutil.rmtree(temp_root, ignore_errors=True)


def _run_units(
    units: List[UnitSpec],
    jobs: int,
    env_factory: Optional[EnvFactory],
    progress: Optional[Callable[[int, int], None]] = None,
) -> List[UnitResult]:
    def counted(results: Iterable[UnitResult]) -> List[UnitResult]:
        out = []
        for r in results:
            out.append(r)
            if progress is not None:
                progress(len(out), len(units))
        return out

    if jobs <= 1 or len(units) <= 1:
        return counted(run_unit(u, env_factory) for u in units)
    ctx = multiprocessing.get_context("spawn")  # no forked copies of zmq contexts or threads
    with ProcessPoolExecutor(max_workers=min(jobs, len(units)), mp_context=ctx) as pool:
        if env_factory is None:
            return counted(pool.map(_pool_run, units))
        return counted(pool.map(run_unit, units, [env_factory] * len(units)))


def replay_name(scenario: str, seed: int, index: int) -> str:
    """The kept replay's file name: ``<scenario>-s<seed>-e<index>.sprp``."""
    return f"{scenario}-s{seed}-e{index}.sprp"


def _keep_replays(out: SuiteResult, replays_dir: str) -> None:
    """Moves the replays of failing (and errored) episodes, and of the baseline episodes
    paired with a failing drop, into ``replays_dir``; forgets the rest."""
    keep: Dict[Tuple[str, int, int], None] = {}
    baseline = out.scenarios[0]
    for res in out.scenarios:
        for check in res.checks:
            if check.passed or check.error:
                continue
            for seed, index in check.failing:
                keep[(res.name, seed, index)] = None
                if check.key in ("max_drop", "max_drop_relative"):
                    keep[(baseline.name, seed, index)] = None
        for e in res.episodes:
            if e.error is not None:
                keep[(res.name, e.seed, e.index)] = None
    for res in out.scenarios:
        for e in res.episodes:
            key = (res.name, e.seed, e.index)
            if key in keep and e.replay and os.path.exists(e.replay):
                dest = os.path.join(replays_dir, replay_name(*key))
                shutil.move(e.replay, dest)
                e.replay = dest
                out.kept_replays.append(dest)
            else:
                e.replay = None


def thresholds_table(thresholds: Thresholds) -> Iterable[Tuple[str, float, str]]:
    """(key, limit, what it bounds) of the thresholds that are set."""
    for key, limit in thresholds.items():
        yield key, limit, THRESHOLD_KEYS[key]
