"""Smoke test of the benchmarks in bench/: each runs in --quick mode against real server
processes and prints at least one figure with its target and verdict. The figures are not
checked against their targets here: benchmarks report, they do not gate."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCHES = [
    "bench_latency.py",
    "bench_throughput.py",
    "bench_memory.py",
    "bench_render.py",
    "bench_pixels.py",
]

# A table row ending in "<value>  <= 1.3  PASS" (or >=, or MISS).
RESULT_ROW = re.compile(r"^\S.*\s\d+(\.\d+)?\s+(<=|>=) \d+(\.\d+)?\s+(PASS|MISS)$", re.MULTILINE)


@pytest.mark.parametrize("script", BENCHES)
def test_benchmark_quick_run_prints_a_result(script: str) -> None:
    binary = Path(os.environ["SANDPIT_BIN"])
    missing = [n for n in ("sandpit-echo", "bench_core") if not (binary.parent / n).exists()]
    if missing:
        pytest.skip(f"{', '.join(missing)} not built next to {binary}")
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), "--quick"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SANDPIT_BIN": str(binary)},
    )
    assert done.returncode == 0, done.stderr
    assert RESULT_ROW.search(done.stdout), done.stdout


# Benchmarks without targets (their rows end in "-  info"), with their --quick arguments.
INFO_BENCHES = [
    ["bench_shards.py"],
    ["bench_async.py"],
    ["bench_peers.py", "--sizes", "16"],  # peers that are not installed are named, not run
]
INFO_ROW = re.compile(r"^\S.*\s(\d+(\.\d+)?|nan)\s+-\s+info$", re.MULTILINE)


@pytest.mark.parametrize("argv", INFO_BENCHES, ids=lambda a: a[0])
def test_benchmark_without_target_prints_figures(argv: list) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / argv[0]), "--quick", *argv[1:]],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert done.returncode == 0, done.stderr
    assert INFO_ROW.search(done.stdout), done.stdout
