"""The Gymnasium recipe file of docs/INTEGRATIONS.md runs as a user runs it (the torch-based
examples run in `./dev.sh integration`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_gymnasium_recipes_run(endpoint, tmp_path):
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "gymnasium_recipes.py"), "--endpoint", endpoint,
         "--video-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120, env=os.environ.copy(),
    )
    assert done.returncode == 0, done.stderr
    assert "same_step: final_obs of envs" in done.stdout
    assert "reset_mask: ok" in done.stdout
    assert list(tmp_path.glob("*.mp4")), done.stdout
