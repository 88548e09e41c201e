"""What the Python benchmarks in bench/ share: finding the built binaries, starting real server
processes, interleaved repetitions, and the result table.

Every benchmark measures the thing and its baseline in one run, interleaving repetitions of
the two (machines are noisy: whatever disturbs one repetition disturbs its neighbour of the
other kind too), and reports medians. It prints a table whose rows end in

    <value>  <op> <target>  PASS|MISS

and exits 0 whatever the figures (benchmarks report, they do not gate) unless run with
``--check``, which exits 1 when a target is missed. ``--quick`` runs a shortened version
(seconds, for the smoke test in tests/python/test_benchmarks.py).

Binaries: ``$SANDPIT_BIN`` (default ``<repo>/build/bin/sandpit``); ``sandpit-echo`` and
``bench_core`` are looked up next to it.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

REPO = Path(__file__).resolve().parents[1]

try:
    import sandpit  # noqa: F401
except ImportError:  # not installed: use the source tree
    sys.path.insert(0, str(REPO / "agents-bridge" / "python"))
    import sandpit  # noqa: F401

from sandpit.server import LocalServer  # noqa: E402

# -- binaries and processes -----------------------------------------------------------------


def sandpit_binary() -> str:
    path = os.environ.get("SANDPIT_BIN") or str(REPO / "build" / "bin" / "sandpit")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        sys.exit(f"no sandpit binary at {path}: build the repo or set SANDPIT_BIN")
    return path


def sibling_binary(name: str) -> str:
    """A binary built next to the sandpit binary (sandpit-echo, bench_core)."""
    path = str(Path(sandpit_binary()).parent / name)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        sys.exit(f"no {name} at {path}: build the repo (it is a target of bench/)")
    return path


def endpoint(transport: str) -> str:
    """A fresh endpoint to bind: a private ipc path, or a free loopback tcp port."""
    if transport == "ipc":
        return f"ipc:///tmp/sandpit-bench-{secrets.token_hex(6)}.sock"
    if transport == "tcp":
        return "tcp://127.0.0.1:*"
    raise ValueError(transport)


def start_server(*binds: str, args: Sequence[str] = ()) -> LocalServer:
    """A real `sandpit serve` bound to `binds` (its .endpoints are the resolved ones)."""
    extra: List[str] = []
    for b in binds[1:]:
        extra += ["--bind", b]
    return LocalServer.start(binds[0], binary=sandpit_binary(), args=[*extra, *args])


class EchoServer:
    """A `sandpit-echo` process: the minimal C ROUTER that sends every message back."""

    def __init__(self, bind: str) -> None:
        self.process = subprocess.Popen(
            [sibling_binary("sandpit-echo"), "--bind", bind],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.endpoint = ""
        for line in self.process.stdout:
            if line.startswith("listening "):
                self.endpoint = line.split(None, 1)[1].strip()
            elif line.strip() == "ready":
                break
        if not self.endpoint:
            self.stop()
            sys.exit(f"sandpit-echo --bind {bind} did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        if self.endpoint.startswith("ipc://"):
            try:
                os.unlink(self.endpoint[len("ipc://") :])
            except OSError:
                pass


def rss_kib(pid: int) -> int:
    """VmRSS of a process, KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


# -- measuring ------------------------------------------------------------------------------


def interleave(reps: int, sides: Dict[str, Callable[[], float]]) -> Dict[str, List[float]]:
    """Runs every side once per repetition, rotating which goes first, and returns each
    side's figures in repetition order (so figures at one index were measured together)."""
    names = list(sides)
    out: Dict[str, List[float]] = {n: [] for n in names}
    for r in range(reps):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            out[name].append(sides[name]())
    return out


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def median_ratio(num: Sequence[float], den: Sequence[float]) -> float:
    """The median of the per-repetition ratios: neighbours share the machine's state."""
    return statistics.median(a / b for a, b in zip(num, den, strict=True))


# -- reporting ------------------------------------------------------------------------------


@dataclass
class Row:
    cells: List[str]
    value: float
    op: Optional[str]  # "<=" or ">=", None for a row given for information
    target: Optional[float]

    @property
    def result(self) -> str:
        if self.op is None or self.target is None:
            return "info"
        ok = self.value <= self.target if self.op == "<=" else self.value >= self.target
        return "PASS" if ok else "MISS"


@dataclass
class Report:
    title: str
    columns: List[str]  # the leading columns; "value", "target" and "result" follow
    value_name: str = "ratio"
    value_format: str = ".3f"
    notes: List[str] = field(default_factory=list)
    rows: List[Row] = field(default_factory=list)

    def row(
        self, cells: Sequence[str], value: float, op: Optional[str], target: Optional[float]
    ) -> None:
        self.rows.append(Row(list(cells), value, op, target))

    def print(self) -> None:
        print(self.title)
        for note in self.notes:
            print(f"  {note}")
        header = [*self.columns, self.value_name, "target", "result"]
        body = []
        for r in self.rows:
            target = "-" if r.op is None else f"{r.op} {r.target:g}"
            body.append([*r.cells, format(r.value, self.value_format), target, r.result])
        columns = list(zip(header, *body))
        widths = [max(len(x) for x in col) for col in columns]
        # Text columns line up on the left, numbers (and targets) on the right.
        left = [k == 0 or not all(_numeric(x) for x in col[1:]) for k, col in enumerate(columns)]
        left[-2] = left[-1] = False
        print()
        for line in [header, *body]:
            cells = [x.ljust(w) if lj else x.rjust(w) for x, w, lj in zip(line, widths, left)]
            print("  ".join(cells).rstrip())
        sys.stdout.flush()

    def missed(self) -> bool:
        return any(r.result == "MISS" for r in self.rows)


def _numeric(text: str) -> bool:
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return text == "-"


def machine_note() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    import zmq

    return (
        f"machine: {os.cpu_count()} CPUs, load average {load} (1/5/15 min); "
        f"Python {platform.python_version()}, pyzmq {zmq.__version__} (libzmq {zmq.zmq_version()})"
    )


def parse_args(description: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="a short run (seconds), for smoke tests")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    return p.parse_args()


def finish(report: Report, args: argparse.Namespace) -> int:
    report.print()
    return 1 if (args.check and report.missed()) else 0
