"""`python -m sandpit.demo`: starts its own server on loopback TCP, balances CartPole, swings
up Pendulum, plays the rest at random, prints a table and stops the server."""

from __future__ import annotations

import re
import subprocess
import sys

import sandpit


def test_demo_runs_and_keeps_its_promises():
    out = subprocess.run(
        [sys.executable, "-m", "sandpit.demo", "--episodes", "2", "--check"],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    started = re.search(r"started sandpit serve \(pid (\d+)\) on (tcp://127\.0\.0\.1:\d+)", text)
    assert started, text
    assert f"stopped sandpit serve (pid {started.group(1)})" in text
    rows = [
        line.split()
        for line in text.splitlines()
        if line.split() and line.split()[0] in sandpit.ENV_IDS and "mean" not in line
    ]
    cart = [r for r in rows if r[0] == "CartPole-v0" and r[1] == "LQR"]
    assert len(cart) == 2 and all(r[4] == "500" and r[5] == "max_steps" for r in cart), text
    for env_id in sandpit.ENV_IDS:  # every env of the catalogue was played
        assert any(r[0] == env_id for r in rows), (env_id, text)


def test_demo_on_a_given_endpoint(endpoint):
    out = subprocess.run(
        [sys.executable, "-m", "sandpit.demo", "--endpoint", endpoint, "--episodes", "1"],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert out.returncode == 0, out.stderr
    assert "started sandpit serve" not in out.stdout
    assert endpoint in out.stdout
