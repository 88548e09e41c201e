"""Smoke test of the installed package, run by `./dev.sh test` from outside the source tree.

    python -I tests/install/smoke.py SOURCE_ROOT

dev.sh installs agents-bridge/python non-editable into a fresh venv (build/venv-install) and
runs this with that venv's python, in an empty temporary directory, with `python -I` (no
script directory, PYTHONPATH or user site on sys.path) and without SANDPIT_BIN: the binary
must be found the way an installed package finds it, as `sandpit` on PATH (dev.sh puts an
install prefix made by `cmake --install` there).

Checks: the package is imported from the venv, never from SOURCE_ROOT; every module of every
subpackage imports (a subpackage missing from the wheel fails here); a fault suite parses
(tomllib, or tomli before Python 3.11); a short episode runs against a local server that the
package starts on its own.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import shutil
import sys
from pathlib import Path

STEPS = 20


def fail(message: str) -> None:
    print(f"install smoke: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def main(argv: list) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    source = Path(argv[0]).resolve()
    if os.environ.get("SANDPIT_BIN"):
        fail("SANDPIT_BIN is set: the installed package must find the binary on PATH")
    import sandpit

    where = Path(sandpit.__file__).resolve()
    if source / "agents-bridge" / "python" in where.parents:
        fail(f"sandpit was imported from the source tree ({where}), not the installed copy")
    if Path.cwd().resolve() == source or source in Path.cwd().resolve().parents:
        fail(f"run from inside the source tree ({Path.cwd()})")

    imported = []
    for mod in pkgutil.walk_packages(sandpit.__path__, "sandpit."):
        try:
            importlib.import_module(mod.name)
        except ModuleNotFoundError as e:
            # An integration whose own library is not installed (e.g. stable_baselines3) is
            # fine; a missing sandpit module is not.
            if e.name is None or e.name == "sandpit" or e.name.startswith("sandpit."):
                fail(f"import {mod.name}: {e}")
            print(f"install smoke: {mod.name} needs {e.name}, not installed here: skipped")
            continue
        imported.append(mod.name)
    for needed in ("sandpit.faults", "sandpit.faults.suite", "sandpit.faults.runner",
                   "sandpit._codec"):
        if needed not in imported:
            fail(f"{needed} is not in the installed package (imported: {', '.join(imported)})")

    from sandpit.faults import parse_suite
    from sandpit.faults.suite import tomllib
    from sandpit.server import find_binary

    suite = parse_suite(
        tomllib.loads(
            'name = "smoke"\nenv = "CartPole-v0"\nseeds = [0]\n'
            '[[scenarios]]\nname = "noise"\nfaults = [{ kind = "noise", sigma = 0.01 }]\n'
        ),
        "smoke.toml",
    )
    if [s.name for s in suite.scenarios] != ["noise"]:
        fail(f"the suite parsed wrong: {suite}")

    on_path = shutil.which("sandpit")
    if find_binary() != on_path:
        fail(f"the package runs {find_binary()}, not sandpit on PATH ({on_path})")
    with sandpit.make("CartPole-v0", seed=3, hashes=True) as env:
        obs, info = env.reset()
        for _ in range(STEPS):
            obs, _, terminated, truncated, info = env.step(env.action_space.sample())
            if terminated or truncated:
                obs, info = env.reset()
        if "hash" not in info or obs.shape != env.observation_space.shape:
            fail(f"unexpected step result: obs {obs!r}, info {info!r}")
    print(
        f"install smoke: ok: sandpit {getattr(sandpit, '__version__', '?')} from {where.parent}, "
        f"{len(imported)} modules imported, {STEPS} steps of CartPole-v0 against "
        f"{find_binary()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
