"""LocalServer.start(die_with_parent=True): a server whose owner is SIGKILLed (no finalizer
runs) is stopped by the kernel; without it, the server outlives its owner."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers import exits_within

OWNER = (
    "import sys, time\n"
    "from sandpit.server import LocalServer\n"
    "s = LocalServer.start(die_with_parent=sys.argv[1] == '1')\n"
    "print(s.pid, s.endpoint, flush=True)\n"
    "time.sleep(120)\n"
)


@pytest.mark.parametrize("flag", [True, False])
def test_server_follows_a_killed_owner_only_when_asked(flag):
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, "1" if flag else "0"], stdout=subprocess.PIPE, text=True
    )
    pid_text, endpoint = owner.stdout.readline().split()
    pid = int(pid_text)
    owner.stdout.close()
    owner.kill()
    owner.wait()
    try:
        # Orphaned, the server is reparented: it is nobody's child here, so polled.
        assert exits_within(pid, 10.0 if flag else 1.0) is flag
    finally:
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            pass
        if exits_within(pid, 10.0) and endpoint.startswith("ipc://"):
            try:  # the owner that would have removed the socket file is gone
                os.unlink(endpoint[len("ipc://") :])
            except FileNotFoundError:
                pass
