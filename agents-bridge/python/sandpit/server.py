"""Starting and stopping a local ``sandpit serve`` process.

When an env is made without an endpoint, the client starts ``sandpit serve`` on a private
``ipc://`` endpoint, waits for its ``ready`` line and stops it when the last env using it is
closed, or when the interpreter exits. Envs in one process share that server.

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


def _stop_process(proc: subprocess.Popen, owner_pid: int, ipc_paths: Sequence[str]) -> None:
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

    def __init__(self, process: subprocess.Popen, endpoints: List[str], stderr_tail: Deque[str]):
        self.process = process
        self.endpoints = endpoints
        self.endpoint = endpoints[0]
        self._stderr_tail = stderr_tail
        ipc_paths = [ep[len("ipc://") :] for ep in endpoints if ep.startswith("ipc://")]
        self._finalizer = weakref.finalize(self, _stop_process, process, os.getpid(), ipc_paths)

    @classmethod
    def start(
        cls,
        bind: Optional[str] = None,
        *,
        binary: Optional[str] = None,
        args: Sequence[str] = (),
        timeout: float = 10.0,
    ) -> "LocalServer":
        """Starts ``<binary> serve --bind <bind> [args...]`` and waits for its ``ready`` line.

        Args:
            bind: Endpoint to bind; a private ``ipc://`` endpoint when ``None``. Wildcards such
                as ``tcp://127.0.0.1:*`` work: :attr:`endpoint` is the actual one.
            binary: The executable; :func:`find_binary` when ``None``.
            args: Extra command-line flags, e.g. ``["--max-message-bytes", "4096"]``. On an
                ``ipc://`` bind, ``--record-root /`` is added unless ``args`` set one.
            timeout: Seconds to wait for ``ready``.

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
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                bufsize=1,
            )
        except OSError as e:
            raise ServerStartError(f"could not run {exe}: {e}") from None

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
                _stop_process(proc, os.getpid(), [])
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
            _stop_process(proc, os.getpid(), [])
            raise ServerStartError(f"`{' '.join(cmd)}` printed 'ready' without a 'listening' line")
        return cls(proc, endpoints, tail)

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
            _shared = LocalServer.start(timeout=max(timeout, 10.0))
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
