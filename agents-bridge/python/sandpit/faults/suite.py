"""Fault suites: the TOML schema, loaded and validated strictly.

A suite file (see docs/FAULTS.md, "Fault suites") names an env, seeds, episodes per seed, a
baseline scenario without faults and scenarios with fault lists, and thresholds per scenario.
Every problem is a :class:`SuiteError` whose message names the key as it is spelled in the
file (``scenarios[2].thresholds.max_drop: must be a number >= 0 (got "x")``). Unknown keys
are refused, so a typo never passes silently.

The fault dicts themselves are checked here only for shape (a table with a string ``kind``);
the server checks their kinds, targets and parameters when the runner makes the scenario's
env before running anything (the runner reports that as a suite error, naming the scenario).
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, as the tomli package (a dependency on 3.10)
    import tomli as tomllib

__all__ = [
    "THRESHOLD_KEYS",
    "Scenario",
    "Suite",
    "SuiteError",
    "Thresholds",
    "load_suite",
    "parse_suite",
]

#: Every threshold, with what it bounds (shown in reports).
THRESHOLD_KEYS: Dict[str, str] = {
    "min_mean_return": "mean return",
    "max_drop": "mean return drop against the baseline",
    "max_drop_relative": "mean return drop against the baseline over |baseline mean|",
    "max_guardrail_trips": "mean guardrail trips per episode",
    "max_cost": "mean constraint cost per episode",
}
_DROP_KEYS = ("max_drop", "max_drop_relative")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_MAX_SEEDS = 10_000
_MAX_EPISODES = 10_000
_MAX_SCENARIOS = 256


class SuiteError(ValueError):
    """A suite file that cannot be run; the message names the file and the key."""


@dataclass(frozen=True)
class Thresholds:
    """Limits on a scenario's results; ``None`` is "not checked"."""

    min_mean_return: Optional[float] = None
    max_drop: Optional[float] = None
    max_drop_relative: Optional[float] = None
    max_guardrail_trips: Optional[float] = None
    max_cost: Optional[float] = None

    def items(self) -> List[tuple]:
        """(key, limit) of the thresholds that are set, in :data:`THRESHOLD_KEYS` order."""
        return [(k, getattr(self, k)) for k in THRESHOLD_KEYS if getattr(self, k) is not None]

    def merged_over(self, defaults: "Thresholds") -> "Thresholds":
        """These thresholds, with ``defaults`` filling the ones left unset."""
        return Thresholds(
            **{
                k: getattr(self, k) if getattr(self, k) is not None else getattr(defaults, k)
                for k in THRESHOLD_KEYS
            }
        )


@dataclass(frozen=True)
class Scenario:
    """One row of the matrix: a fault list (empty for the baseline) and its thresholds."""

    name: str
    faults: List[Dict[str, Any]]
    guardrails: Optional[Dict[str, Any]]
    thresholds: Thresholds
    description: str = ""
    is_baseline: bool = False
    key: str = ""  # where it is in the file, e.g. "scenarios[1]" or "baseline"


@dataclass(frozen=True)
class Suite:
    """A parsed, validated suite."""

    name: str
    env: str
    seeds: List[int]
    episodes: int
    baseline: Scenario
    scenarios: List[Scenario]
    max_steps: Optional[int] = None
    description: str = ""
    path: Optional[str] = None
    #: What the agent observes: ``sandpit.make``'s observation, size, grayscale and
    #: frame_stack (empty: the sensor vector).
    observation: Dict[str, Any] = field(default_factory=dict)
    raw: Dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def all_scenarios(self) -> List[Scenario]:
        """The baseline first, then the scenarios in file order."""
        return [self.baseline, *self.scenarios]

    def with_overrides(
        self, seeds: Optional[int] = None, episodes: Optional[int] = None
    ) -> "Suite":
        """The suite with only its first ``seeds`` seeds and/or ``episodes`` per seed."""
        kwargs = dict(self.__dict__)
        if seeds is not None:
            kwargs["seeds"] = self.seeds[:seeds]
        if episodes is not None:
            kwargs["episodes"] = episodes
        return Suite(**kwargs)


# -- helpers -------------------------------------------------------------------------------


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return repr(value)


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> SuiteError:
        return SuiteError(
            f"{self.source}: {key}: {message}" if key else f"{self.source}: {message}"
        )

    def table(self, value: Any, key: str) -> Dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table (got {_show(value)})")
        return value

    def known(self, table: Mapping[str, Any], key: str, allowed: List[str]) -> None:
        for k in table:
            if k not in allowed:
                where = f"{key}.{k}" if key else k
                raise self.fail(where, f"unknown key (expected one of: {', '.join(allowed)})")

    def string(self, value: Any, key: str, *, empty: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string (got {_show(value)})")
        if not empty and not value.strip():
            raise self.fail(key, "must not be empty")
        return value

    def integer(self, value: Any, key: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be an integer (got {_show(value)})")
        if not low <= value <= high:
            raise self.fail(key, f"must be in [{low}, {high}] (got {value})")
        return value

    def number(self, value: Any, key: str, *, nonnegative: bool) -> float:
        what = "a number >= 0" if nonnegative else "a number"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, f"must be {what} (got {_show(value)})")
        value = float(value)
        if math.isnan(value) or (nonnegative and value < 0):
            raise self.fail(key, f"must be {what} (got {value:g})")
        return value

    def name(self, value: Any, key: str) -> str:
        value = self.string(value, key)
        if not _NAME_RE.match(value):
            raise self.fail(
                key,
                f"{_show(value)} is not a usable name: letters, digits, '_', '.', '-', "
                "starting with a letter or digit, at most 64 characters (it names replay files)",
            )
        return value


def _thresholds(c: _Checker, value: Any, key: str, *, baseline: bool) -> Thresholds:
    table = c.table(value, key)
    allowed = [k for k in THRESHOLD_KEYS if not (baseline and k in _DROP_KEYS)]
    for k in table:
        if baseline and k in _DROP_KEYS:
            raise c.fail(f"{key}.{k}", "the baseline has no baseline to drop from")
    c.known(table, key, allowed)
    values: Dict[str, float] = {}
    for k, v in table.items():
        values[k] = c.number(v, f"{key}.{k}", nonnegative=k != "min_mean_return")
        if k == "min_mean_return" and math.isinf(values[k]) and values[k] > 0:
            raise c.fail(f"{key}.{k}", "must be finite or -inf (got inf)")
    return Thresholds(**values)


def _faults(c: _Checker, value: Any, key: str) -> List[Dict[str, Any]]:
    if not isinstance(value, list):
        raise c.fail(key, f"must be an array of tables (got {_show(value)})")
    out = []
    for i, fault in enumerate(value):
        fkey = f"{key}[{i}]"
        if not isinstance(fault, dict):
            raise c.fail(fkey, f"must be a table (got {_show(fault)})")
        if "kind" not in fault:
            raise c.fail(f"{fkey}.kind", "missing: every fault names its kind")
        c.string(fault["kind"], f"{fkey}.kind")
        out.append(dict(fault))
    return out


_OBSERVATION_KEYS = ["type", "size", "grayscale", "frame_stack"]


def _observation(c: _Checker, value: Any) -> Dict[str, Any]:
    """``observation = { type = "pixels", size = [84, 84], grayscale = false, frame_stack = 4 }``
    as ``sandpit.make``'s keyword arguments."""
    t = c.table(value, "observation")
    c.known(t, "observation", _OBSERVATION_KEYS)
    kind = c.string(t.get("type", "vector"), "observation.type")
    if kind not in ("vector", "pixels", "both"):
        raise c.fail("observation.type", f'must be "vector", "pixels" or "both" (got "{kind}")')
    out: Dict[str, Any] = {"observation": kind}
    if "size" in t:
        size = t["size"]
        if not (isinstance(size, list) and len(size) == 2):
            raise c.fail("observation.size", f"must be [height, width] (got {size!r})")
        out["size"] = tuple(c.integer(x, f"observation.size[{k}]", 1, 1024) for k, x in enumerate(size))
    if "grayscale" in t:
        if not isinstance(t["grayscale"], bool):
            raise c.fail("observation.grayscale", f"must be true or false (got {t['grayscale']!r})")
        out["grayscale"] = t["grayscale"]
    if "frame_stack" in t:
        out["frame_stack"] = c.integer(t["frame_stack"], "observation.frame_stack", 1, 64)
    return out


def _scenario(
    c: _Checker,
    value: Any,
    key: str,
    *,
    baseline: bool,
    default_guardrails: Optional[Dict[str, Any]],
    default_thresholds: Thresholds,
) -> Scenario:
    table = c.table(value, key)
    allowed = ["name", "description", "guardrails", "thresholds"]
    if baseline:
        if "faults" in table:
            raise c.fail(f"{key}.faults", "the baseline runs without faults")
    else:
        allowed.insert(2, "faults")
    c.known(table, key, allowed)
    if baseline:
        name = c.name(table.get("name", "baseline"), f"{key}.name")
        faults: List[Dict[str, Any]] = []
    else:
        if "name" not in table:
            raise c.fail(f"{key}.name", "missing: every scenario has a name")
        name = c.name(table["name"], f"{key}.name")
        if "faults" not in table:
            raise c.fail(
                f"{key}.faults", "missing: a scenario lists its faults (the baseline has none)"
            )
        faults = _faults(c, table["faults"], f"{key}.faults")
    description = c.string(table.get("description", ""), f"{key}.description", empty=True)
    guardrails = default_guardrails
    if "guardrails" in table:
        guardrails = dict(c.table(table["guardrails"], f"{key}.guardrails"))
    thresholds = Thresholds()
    if "thresholds" in table:
        thresholds = _thresholds(c, table["thresholds"], f"{key}.thresholds", baseline=baseline)
    if not baseline:
        thresholds = thresholds.merged_over(default_thresholds)
    return Scenario(name, faults, guardrails, thresholds, description, baseline, key)


def _seeds(c: _Checker, value: Any) -> List[int]:
    if isinstance(value, dict):
        c.known(value, "seeds", ["start", "count"])
        if "count" not in value:
            raise c.fail("seeds.count", "missing: how many seeds from start")
        start = c.integer(value.get("start", 0), "seeds.start", 0, 2**63 - 1)
        count = c.integer(value["count"], "seeds.count", 1, _MAX_SEEDS)
        if start + count - 1 > 2**63 - 1:
            raise c.fail("seeds", "start + count - 1 must be below 2^63")
        return list(range(start, start + count))
    if not isinstance(value, list):
        raise c.fail(
            "seeds",
            f"must be an array of integers or a table {{start, count}} (got {_show(value)})",
        )
    if not value:
        raise c.fail("seeds", "must not be empty")
    if len(value) > _MAX_SEEDS:
        raise c.fail("seeds", f"at most {_MAX_SEEDS} seeds (got {len(value)})")
    seeds = [c.integer(s, f"seeds[{i}]", 0, 2**63 - 1) for i, s in enumerate(value)]
    seen = set()
    for i, s in enumerate(seeds):
        if s in seen:
            raise c.fail(f"seeds[{i}]", f"seed {s} is listed twice")
        seen.add(s)
    return seeds


_TOP_KEYS = [
    "name",
    "description",
    "env",
    "seeds",
    "episodes",
    "max_steps",
    "observation",
    "guardrails",
    "thresholds",
    "baseline",
    "scenarios",
]


def parse_suite(
    data: Mapping[str, Any], source: str = "<suite>", name: Optional[str] = None
) -> Suite:
    """Validates a decoded suite (the dict ``tomllib`` returns) and builds a :class:`Suite`.

    Raises:
        SuiteError: naming ``source`` and the offending key.
    """
    c = _Checker(source)
    c.table(data, "")
    for k in data:
        if k == "scenario":
            raise c.fail("scenario", "unknown key: scenarios are [[scenarios]] (plural)")
    c.known(data, "", _TOP_KEYS)
    for required in ("env", "seeds", "scenarios"):
        if required not in data:
            raise c.fail(required, "missing (required)")
    suite_name = c.name(data.get("name", name or "suite"), "name")
    description = c.string(data.get("description", ""), "description", empty=True)
    env = c.string(data["env"], "env")
    if env.startswith("sandpit/"):
        env = env[len("sandpit/") :]
    seeds = _seeds(c, data["seeds"])
    episodes = c.integer(data.get("episodes", 1), "episodes", 1, _MAX_EPISODES)
    max_steps = None
    if "max_steps" in data:
        max_steps = c.integer(data["max_steps"], "max_steps", 1, 2**31 - 1)
    observation = _observation(c, data["observation"]) if "observation" in data else {}
    guardrails = None
    if "guardrails" in data:
        guardrails = dict(c.table(data["guardrails"], "guardrails"))
    defaults = Thresholds()
    if "thresholds" in data:
        defaults = _thresholds(c, data["thresholds"], "thresholds", baseline=False)

    baseline = _scenario(
        c,
        data.get("baseline", {}),
        "baseline",
        baseline=True,
        default_guardrails=guardrails,
        default_thresholds=Thresholds(),
    )
    raw_scenarios = data["scenarios"]
    if not isinstance(raw_scenarios, list) or not raw_scenarios:
        raise c.fail("scenarios", "must be a non-empty array of tables ([[scenarios]])")
    if len(raw_scenarios) > _MAX_SCENARIOS:
        raise c.fail("scenarios", f"at most {_MAX_SCENARIOS} scenarios (got {len(raw_scenarios)})")
    scenarios = []
    names = {baseline.name: "baseline.name"}
    for i, raw in enumerate(raw_scenarios):
        sc = _scenario(
            c,
            raw,
            f"scenarios[{i}]",
            baseline=False,
            default_guardrails=guardrails,
            default_thresholds=defaults,
        )
        if sc.name in names:
            raise c.fail(f"scenarios[{i}].name", f'"{sc.name}" is already used by {names[sc.name]}')
        names[sc.name] = f"scenarios[{i}].name"
        scenarios.append(sc)
    return Suite(
        name=suite_name,
        env=env,
        seeds=seeds,
        episodes=episodes,
        baseline=baseline,
        scenarios=scenarios,
        max_steps=max_steps,
        description=description,
        observation=observation,
        path=None if source.startswith("<") else source,
        raw=dict(data),
    )


def load_suite(path: Union[str, Path]) -> Suite:
    """Reads and validates a suite file.

    Raises:
        SuiteError: the file is missing, is not TOML, or breaks the schema (naming the key).
    """
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as e:
        raise SuiteError(f"{path}: cannot read the suite: {e.strerror or e}") from None
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise SuiteError(f"{path}: not UTF-8 text: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise SuiteError(f"{path}: not valid TOML: {e}") from None
    return parse_suite(data, str(path), name=path.stem)
