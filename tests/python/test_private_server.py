"""A private local server dies with the process that started it, however that process ends
(SIGTERM, SIGKILL), removes its socket file, and never reaps its own client's idle sessions.
Real processes throughout: a Python child starts `sandpit.make(...)`, the test kills it and
waits for the server to be gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sandpit

# How long the test waits for a server to notice its parent is gone: generous for a loaded
# machine; the server itself stops within milliseconds (the report measures it).
GONE_BOUND_S = 10.0
CHILD_READY_BOUND_S = 30.0

# The child: makes an env on the private server, reports the server's pid and socket file,
# then waits to be killed. `fork` also forks a grandchild that inherits the pipe's write end
# (a forked worker); `thread` starts the env from a thread that then ends.
CHILD = r"""
import os, sys, threading, sandpit
mode = sys.argv[1]
holder = {}
def make():
    holder["env"] = sandpit.make("CartPole-v0")
    holder["env"].reset(seed=1)
if mode == "thread":
    t = threading.Thread(target=make)
    t.start()
    t.join()
    # Until the thread's task is gone the kernel may not have sent the death signal yet.
    while os.path.exists(f"/proc/self/task/{t.native_id}"):
        pass
else:
    make()
env = holder["env"]
server = env.unwrapped._session.server
grandchild = 0
if mode == "fork":
    grandchild = os.fork()
    if grandchild == 0:
        threading.Event().wait()
print(server.pid, server.endpoint, grandchild, flush=True)
for line in sys.stdin:  # "step": one more step, answered "ok"
    env.step(0)
    print("ok", flush=True)
threading.Event().wait()
"""


def gone(pid: int) -> bool:
    """True once `pid` has exited (a zombie waiting for its reaper counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_gone(pid: int, path: Path) -> float:
    start = time.monotonic()
    while not (gone(pid) and not path.exists()):
        assert time.monotonic() - start < GONE_BOUND_S, f"server {pid} or {path} still there"
        time.sleep(0.005)
    return time.monotonic() - start


class Child:
    def __init__(self, mode: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env=dict(os.environ),
        )
        line = self._readline()
        pid, endpoint, grandchild = line.split()
        self.server_pid = int(pid)
        self.socket_file = Path(endpoint[len("ipc://"):])
        self.grandchild = int(grandchild)

    def _readline(self) -> str:
        assert self.proc.stdout is not None
        box: list = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()))
        reader.start()
        reader.join(CHILD_READY_BOUND_S)
        assert box and box[0], "the child did not answer"
        return box[0]

    def step(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("step\n")
        self.proc.stdin.flush()
        assert self._readline().strip() == "ok"

    def kill(self, sig: int) -> None:
        self.proc.send_signal(sig)
        self.proc.wait()

    def cleanup(self) -> None:
        for pid in (self.proc.pid, self.grandchild, self.server_pid):
            if pid and not gone(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.proc.wait()
        if self.socket_file.exists():
            self.socket_file.unlink()


@pytest.fixture
def child():
    made = []

    def factory(mode: str = "plain") -> Child:
        made.append(Child(mode))
        return made[-1]

    yield factory
    for c in made:
        c.cleanup()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_the_private_server_dies_with_its_parent(child, sig):
    c = child()
    assert not gone(c.server_pid) and c.socket_file.exists()
    c.kill(sig)
    took = wait_gone(c.server_pid, c.socket_file)
    print(f"server gone {took * 1000:.1f} ms after the parent's {sig.name}")


def test_a_leaked_pipe_does_not_keep_it_alive(child):
    """A forked child holds the pipe's write end too: the parent's death signal stops the
    server all the same."""
    c = child("fork")
    c.kill(signal.SIGKILL)
    wait_gone(c.server_pid, c.socket_file)
    assert not gone(c.grandchild)


def test_a_thread_that_made_the_env_may_end(child):
    """The kernel sends the death signal when the thread that started the server ends; the
    server stops only when the process is gone."""
    c = child("thread")
    c.step()
    assert not gone(c.server_pid)
    c.kill(signal.SIGKILL)
    wait_gone(c.server_pid, c.socket_file)


def test_the_private_server_never_reaps_idle_sessions():
    env = sandpit.make("CartPole-v0")
    try:
        assert env.unwrapped._session.server is not None
        assert env.unwrapped._session.client.server_info["limits"]["idle_timeout_s"] == 0
    finally:
        env.close()


def test_end_of_file_on_the_parent_pipe_stops_a_server(tmp_path):
    """The pipe is the whole protocol of `sandpit serve --parent-fd`: end-of-file on it stops
    the server cleanly (status 0) and removes its socket file."""
    path = tmp_path / "s.sock"
    watch, parent_pipe = os.pipe()
    proc = subprocess.Popen(
        [os.environ["SANDPIT_BIN"], "serve", "--bind", f"ipc://{path}", "--parent-fd",
         str(watch)], stdout=subprocess.PIPE, text=True, pass_fds=(watch,),
    )
    os.close(watch)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("listening ")
        assert proc.stdout.readline().strip() == "ready" and path.exists()
        os.close(parent_pipe)
        parent_pipe = -1
        assert proc.wait(GONE_BOUND_S) == 0
        assert not path.exists()
    finally:
        if parent_pipe >= 0:
            os.close(parent_pipe)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def test_a_bad_parent_fd_is_refused():
    out = subprocess.run([os.environ["SANDPIT_BIN"], "serve", "--parent-fd", "987"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "--parent-fd" in out.stderr
