"""Starting and stopping a local ``sandpit serve`` process.

When an env is made without an endpoint, the client starts ``sandpit serve`` on a private
``ipc://`` endpoint, waits for its ``ready`` line and stops it when the last env using it is
closed, or when the interpreter exits. Envs in one process share that server.

A server started here dies with the process that started it, however that process ends
(SIGKILL included): it gets ``--parent-fd``, the read end of a pipe whose write end only this
process holds, and stops (closing its sessions and removing its socket file) when that pipe
reaches end-of-file or its parent's death signal comes. The private server also never reaps
idle sessions (``--idle-timeout 0``): its only client is this process, and an env left idle
(an evaluation env between evaluations) must not find its session gone.

The binary is ``$SANDPIT_BIN`` if set; else, when the package is imported from its source
checkout (an editable install), ``<repo>/build/bin/sandpit``; else ``sandpit`` on ``PATH``
(``cmake --install build --prefix ~/.local`` puts it in ``~/.local/bin``). An installed
package never looks for a build tree.
"""

from __future__ import annotations

import collections
import os
import queue
import secrets
import shutil
import signal
import subprocess
import threading
import time
import weakref
from pathlib import Path
from typing import Deque, List, Optional, Sequence

from .errors import ServerStartError

__all__ = ["LocalServer", "find_binary", "acquire_shared", "release_shared"]

_STOP_GRACE_S = 5.0


def _source_checkout() -> Optional[Path]:
    """The repo root when this file is ``<repo>/agents-bridge/python/sandpit/server.py``;
    None when the package is installed (in site-packages)."""
    package = Path(__file__).resolve().parent
    if package.parent.name == "python" and package.parent.parent.name == "agents-bridge":
        return package.parents[2]
    return None


def find_binary() -> str:
    """Returns the path of the ``sandpit`` executable to run.

    Raises:
        ServerStartError: ``$SANDPIT_BIN`` names no executable, or none was found at all.
    """
    configured = os.environ.get("SANDPIT_BIN")
    if configured:
        if os.path.isfile(configured) and os.access(configured, os.X_OK):
            return configured
        raise ServerStartError(f"SANDPIT_BIN={configured!r} is not an executable file")
    checkout = _source_checkout()
    built = checkout / "build" / "bin" / "sandpit" if checkout else None
    if built and built.is_file() and os.access(built, os.X_OK):
        return str(built)
    on_path = shutil.which("sandpit")
    if on_path:
        return on_path
    raise ServerStartError(
        "no sandpit binary: set SANDPIT_BIN, or put sandpit on PATH (cmake -S . -B build && "
        "cmake --build build && cmake --install build --prefix ~/.local)"
    )


def private_ipc_endpoint() -> str:
    """A fresh ``ipc://`` endpoint in /tmp that no other server uses."""
    return f"ipc:///tmp/sandpit-{secrets.token_hex(8)}.sock"


def _stop_process(
    proc: subprocess.Popen, owner_pid: int, ipc_paths: Sequence[str], parent_pipe: Optional[int]
) -> None:
    """SIGTERM, wait, SIGKILL if needed. Runs from close() or at interpreter exit."""
    if os.getpid() != owner_pid:  # a forked child must not stop its parent's server
        return
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=_STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        except OSError:
            pass
    if parent_pipe is not None:
        try:
            os.close(parent_pipe)
        except OSError:
            pass
    for stream in (proc.stdout, proc.stderr):
        try:
            if stream is not None:
                stream.close()
        except OSError:
            pass
    for path in ipc_paths:
        try:
            os.unlink(path)
        except OSError:
            pass


class LocalServer:
    """One ``sandpit serve`` child process.

    Use :meth:`start`; the instance is ready to serve when it returns. Its output after
    ``ready`` is drained in the background; the last lines of stderr are kept for error
    messages (:attr:`stderr_tail`).

    Attributes:
        endpoints: The endpoints the server reported in its ``listening`` lines, in order.
        endpoint: The first of them (what clients should connect to).
        process: The :class:`subprocess.Popen` of the server.
    """

    def __init__(
        self,
        process: subprocess.Popen,
        endpoints: List[str],
        stderr_tail: Deque[str],
        parent_pipe: Optional[int] = None,
    ):
        self.process = process
        self.endpoints = endpoints
        self.endpoint = endpoints[0]
        self._stderr_tail = stderr_tail
        ipc_paths = [ep[len("ipc://") :] for ep in endpoints if ep.startswith("ipc://")]
        self._finalizer = weakref.finalize(
            self, _stop_process, process, os.getpid(), ipc_paths, parent_pipe
        )

    @classmethod
    def start(
        cls,
        bind: Optional[str] = None,
        *,
        binary: Optional[str] = None,
        args: Sequence[str] = (),
        timeout: float = 10.0,
        die_with_parent: bool = True,
    ) -> "LocalServer":
        """Starts ``<binary> serve --bind <bind> [args...]`` and waits for its ``ready`` line.

        Args:
            bind: Endpoint to bind; a private ``ipc://`` endpoint when ``None``. Wildcards such
                as ``tcp://127.0.0.1:*`` work: :attr:`endpoint` is the actual one.
            binary: The executable; :func:`find_binary` when ``None``.
            args: Extra command-line flags, e.g. ``["--max-message-bytes", "4096"]``. On an
                ``ipc://`` bind, ``--record-root /`` is added unless ``args`` set one.
            timeout: Seconds to wait for ``ready``.
            die_with_parent: Give the server ``--parent-fd``: it stops when this process is
                gone, however it ends (see the module's docstring).

        Raises:
            ServerStartError: The binary is missing, exited, or was not ready in time.
        """
        exe = binary or find_binary()
        bind = bind or private_ipc_endpoint()
        cmd = [exe, "serve", "--bind", bind, *args]
        if bind.startswith("ipc://") and "--record-root" not in args:
            # A private server on a unix socket only this user can connect to (the socket
            # file takes the umask): its client may record anywhere this user may write.
            cmd += ["--record-root", "/"]
        # The server watches the read end; only this process holds the write end (os.pipe's
        # fds are not inherited by other programs this process runs).
        watch: Optional[int] = None
        parent_pipe: Optional[int] = None
        if die_with_parent:
            watch, parent_pipe = os.pipe()
            cmd += ["--parent-fd", str(watch)]
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                bufsize=1,
                pass_fds=() if watch is None else (watch,),
            )
        except OSError as e:
            if parent_pipe is not None:
                os.close(parent_pipe)
            raise ServerStartError(f"could not run {exe}: {e}") from None
        finally:
            if watch is not None:
                os.close(watch)

        lines: "queue.Queue[Optional[str]]" = queue.Queue()
        tail: Deque[str] = collections.deque(maxlen=40)

        def pump_stdout() -> None:
            assert proc.stdout is not None
            try:
                for line in proc.stdout:
                    lines.put(line.rstrip("\n"))
            except (OSError, ValueError):
                pass
            lines.put(None)

        def pump_stderr() -> None:
            assert proc.stderr is not None
            try:
                for line in proc.stderr:
                    tail.append(line.rstrip("\n"))
            except (OSError, ValueError):
                pass

        for target in (pump_stdout, pump_stderr):
            threading.Thread(target=target, name=f"sandpit-serve-{proc.pid}", daemon=True).start()

        endpoints: List[str] = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = lines.get(timeout=max(left, 0.0)) if left > 0 else None
            except queue.Empty:
                line = None
                left = 0
            if line is None:
                what = "was not ready" if left <= 0 else "exited"
                _stop_process(proc, os.getpid(), [], parent_pipe)
                time.sleep(0.05)  # let the stderr pump catch the last words
                detail = "\n  ".join(tail) or "(no stderr)"
                raise ServerStartError(
                    f"`{' '.join(cmd)}` {what} (exit code {proc.returncode}); stderr:\n  {detail}"
                )
            if line.startswith("listening "):
                endpoints.append(line[len("listening ") :].strip())
            elif line.strip() == "ready":
                break
        if not endpoints:
            _stop_process(proc, os.getpid(), [], parent_pipe)
            raise ServerStartError(f"`{' '.join(cmd)}` printed 'ready' without a 'listening' line")
        return cls(proc, endpoints, tail, parent_pipe)

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    @property
    def stderr_tail(self) -> str:
        """The last lines the server wrote to stderr."""
        return "\n".join(self._stderr_tail)

    def dead_reason(self) -> Optional[str]:
        """``None`` while the process runs; a description once it has exited."""
        code = self.process.poll()
        if code is None:
            return None
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        return f"local sandpit server (pid {self.pid}) died with {how}"

    @property
    def alive(self) -> bool:
        """True while the process runs."""
        return self.process.poll() is None

    def stop(self) -> None:
        """Stops the server (SIGTERM, then SIGKILL after a grace period). Idempotent."""
        self._finalizer()

    def kill(self) -> None:
        """Sends SIGKILL at once (for tests of crash handling)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "LocalServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.alive else "stopped"
        return f"LocalServer(pid={self.pid}, endpoint={self.endpoint!r}, {state})"


# One server shared by every env of this process that was made without an endpoint.
_shared_lock = threading.Lock()
_shared: Optional[LocalServer] = None
_shared_users = 0


def acquire_shared(timeout: float = 10.0) -> LocalServer:
    """Returns the process's shared local server, starting it if needed (reference counted)."""
    global _shared, _shared_users
    with _shared_lock:
        if _shared is None or not _shared.alive or _shared._finalizer.alive is False:
            if _shared is not None:
                _shared.stop()
            # Its only client is this process: no session of it is ever reaped for idling.
            _shared = LocalServer.start(
                args=("--idle-timeout", "0"), timeout=max(timeout, 10.0)
            )
            _shared_users = 0
        _shared_users += 1
        return _shared


def release_shared(server: LocalServer) -> None:
    """Drops one reference; the last one stops the server."""
    global _shared, _shared_users
    with _shared_lock:
        if server is not _shared:
            server.stop()  # a server replaced after it died: stop what is left of it
            return
        _shared_users -= 1
        if _shared_users <= 0:
            _shared.stop()
            _shared = None
            _shared_users = 0
