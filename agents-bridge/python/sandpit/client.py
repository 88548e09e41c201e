"""Request/reply transport to a ``sandpit serve`` process (docs/PROTOCOL.md).

One :class:`Client` owns one ZeroMQ ``DEALER`` socket. Each request carries a fresh ``id``
and is sent as one frame, without the empty delimiter of the REQ envelope (the server answers
such a DEALER with one frame too: docs/PROTOCOL.md "Transport"), which saves a frame each way
on the lockstep hot path; the reply with the same ``id`` is the answer and any other reply (left over from an earlier request) is discarded.
A request that gets no reply within the timeout raises :class:`ConnectionLost` and throws
the socket away, so nothing stale can ever be read as an answer and the next request starts
from a clean connection.

A dead peer is noticed by ZeroMQ's own means rather than by waiting out the timeout: a socket
monitor reports the connection's drop (a server killed, or one that dropped this client), and
ZMTP heartbeats (``ZMQ_HEARTBEAT_IVL``/``TIMEOUT``/``TTL``) turn a server that stopped
answering (hung, stopped, its host gone) into such a drop. A request whose connection dropped
raises ConnectionLost within ``_WAIT_SLICE_S`` of the drop; a reply that came before the drop
still counts. ``timeout`` is the whole time a call may take, resends and connecting included.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable, NamedTuple, Optional

import zmq

from .codec import PlainStep, pack_step, unpack_step
from .errors import ConnectionLost, ProtocolError, SandpitError, ServerError, VersionMismatch
from .protocol import PROTOCOL_VERSION, pack, unpack

__all__ = ["Client", "PendingReply", "DEFAULT_TIMEOUT"]

#: Seconds a request waits for its reply unless told otherwise.
DEFAULT_TIMEOUT = 10.0

# Waiting is sliced so that a dead local server is noticed long before the timeout.
_POLL_SLICE_S = 0.05
# Without a liveness hook, the slice bounds one blocking receive: between slices the deadline
# and the socket monitor (a dropped connection) are checked. Short enough to report a drop
# within a second, long enough to cost nothing while a reply is on its way.
_WAIT_SLICE_S = 0.1
# ZMTP heartbeats (libzmq >= 4.2 answers them on its I/O thread, even while the server's main
# thread is busy with a long step): a ping every second; no answer within 5 s drops the
# connection (a hung or stopped server); the server may drop this client after 10 s of
# silence (a stopped client process).
_HEARTBEAT_IVL_MS = 1000
_HEARTBEAT_TIMEOUT_MS = 5000
_HEARTBEAT_TTL_MS = 10000
_MONITOR_EVENTS = zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED
# Plain ints: pyzmq converts its enum flags on every call, a microsecond on the hot path.
_NOBLOCK = int(zmq.NOBLOCK)
_RCVMORE = int(zmq.RCVMORE)
# A request looks at the monitor first only if it has not for this long: reading it costs
# about as much as a tenth of a small request, and a drop is also seen between wait slices.
_MONITOR_EVERY_S = 0.05


class _Sent(NamedTuple):
    """A request on the wire: what waiting for its reply and resending it need."""

    rid: int
    payload: bytes
    drops: int  # the connection's drop count when it went out
    at: float  # time.monotonic() after the send


class _NoReply(Exception):
    """A wait that timed out with resends left (the socket is kept for the resend)."""


def _check_timeout(timeout: float) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds, got {timeout!r}")
    if not timeout > 0:  # also refuses NaN
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    return float(timeout)


class Client:
    """A connection to one sandpit server: ``hello`` once, then matched request/reply.

    Args:
        endpoint: A ZeroMQ endpoint such as ``"tcp://127.0.0.1:5555"`` or ``"ipc:///tmp/s.sock"``.
        timeout: Seconds a request may take in all, connecting and resends included, before
            ConnectionLost (``math.inf`` waits forever; heartbeats still notice a server
            that stopped answering).
        liveness: Optional callable returning an error string when the server is known to
            be dead (e.g. a local server process that exited), ``None`` while it may be
            alive. It is polled while waiting so such deaths are reported at once.
        server_key: For a CURVE server (``sandpit serve --curve-secret``): its public key, a
            Z85 string or the path of a ``.pub`` file. Needs ``client_key``.
        client_key: This client's CURVE key pair (see :mod:`sandpit.keys` for the forms it
            takes). A server that does not know the key never answers: requests raise
            :class:`ConnectionLost` after ``timeout``.

    A client is safe to share between threads (requests are serialized by a lock), but one
    client per thread is faster.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        liveness: Optional[Callable[[], Optional[str]]] = None,
        server_key: Any = None,
        client_key: Any = None,
    ) -> None:
        if not isinstance(endpoint, str) or "://" not in endpoint:
            raise ValueError(f"endpoint must look like 'tcp://host:port', got {endpoint!r}")
        if (server_key is None) != (client_key is None):
            raise ValueError("server_key and client_key go together (CURVE needs both)")
        self._curve: Optional[tuple[bytes, bytes, bytes]] = None
        if server_key is not None:
            from .keys import client_keypair, server_public_key

            pair = client_keypair(client_key)
            self._curve = (
                server_public_key(server_key).encode("ascii"),
                pair.public.encode("ascii"),
                pair.secret.encode("ascii"),
            )
        self.endpoint = endpoint
        self.timeout = _check_timeout(timeout)
        self._liveness = liveness
        self._socket: Optional[zmq.Socket] = None
        self._monitor: Optional[zmq.Socket] = None
        self._up: Optional[bool] = None  # None: never connected; False: dropped, not back
        self._drops = 0  # connections of this socket that dropped after their handshake
        self._monitor_due = 0.0  # monotonic time after which a request reads the monitor
        self._rcvtimeo_ms = -1  # the socket's ZMQ_RCVTIMEO, set lazily (see _receive)
        self._next_id = 0
        self._lock = threading.Lock()
        self._closed = False
        self._hello: Optional[dict[str, Any]] = None

    # -- public -------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    @property
    def server_info(self) -> dict[str, Any]:
        """The ``hello`` reply of the current connection (connecting first if needed)."""
        with self._lock:
            if self._closed:
                raise SandpitError("the client is closed")
            self._connect(time.monotonic() + self.timeout, self.timeout)
            assert self._hello is not None
            return self._hello

    @property
    def catalogue(self) -> dict[str, dict[str, Any]]:
        """The server's env specs by id, in catalogue order."""
        return {spec["id"]: spec for spec in self.server_info["envs"]}

    def request(
        self, op: str, *, timeout: Optional[float] = None, retries: int = 0, **fields: Any
    ) -> dict[str, Any]:
        """Sends ``{"op": op, **fields}`` and returns the successful reply map.

        ``timeout`` (default: the client's) is the whole time the call may take. ``retries``:
        the very same request (same ``id``) is sent again up to this many times, at even
        fractions of ``timeout`` (with 2: after a third and two thirds of it) while no reply
        has come. Only for requests the server answers exactly once (a ``step`` with
        ``seq``); a late reply to an earlier send carries the same ``id``, and whichever
        comes second is discarded as stale by the next request.

        Raises:
            ServerError: The server replied with an error (``.code`` names it).
            ConnectionLost: No reply within ``timeout``, the connection to the server
                dropped (within about ``_WAIT_SLICE_S`` of the drop), or the local server
                died. The connection is reset; a later request reconnects.
            ProtocolError: The reply does not follow the protocol.
        """
        wait = self.timeout if timeout is None else _check_timeout(timeout)
        with self._lock:
            deadline = self._ready(wait)
            return self._call({"op": op, **fields}, deadline, wait, retries)

    def step_plain(
        self, session: int, seq: int, actions: dict[str, Any], n: int, retries: int = 0
    ) -> PlainStep | dict[str, Any]:
        """One env's ``step`` through the compiled codec (sandpit/codec.py): the request
        written in one call, and a plain reply (no episode end, hash or layer info) read in
        one call as ``(id, obs, reward, terminated, truncated)``; any other reply comes back
        as the checked reply map, as :meth:`request` returns it. The lockstep hot path."""
        wait = self.timeout
        with self._lock:
            deadline = self._ready(wait)
            self._next_id += 1
            rid = self._next_id
            payload = pack_step(session, seq, rid, actions["data"], actions["dtype"],
                                actions["shape"])
            sent = self._send_payload(payload, rid, "step", deadline, wait)
            return self._await(sent, "step", deadline, wait, retries, lambda p: unpack_step(p, n))

    def send(
        self, op: str, *, timeout: Optional[float] = None, retries: int = 0, **fields: Any
    ) -> "PendingReply":
        """Sends a request without waiting for its reply; :meth:`PendingReply.result` waits.

        This lets one caller have a request in flight on several clients at once (a vector
        env sharded over servers sends to every server before waiting on any). The same
        errors as :meth:`request`, raised by ``send`` (connecting, sending) or by ``result``
        (waiting). The timeout runs from the send. Until its result is taken, the client must
        not be given another request: that request would discard this reply as stale.
        """
        wait = self.timeout if timeout is None else _check_timeout(timeout)
        with self._lock:
            deadline = self._ready(wait)
            message = {"op": op, **fields}
            sent = self._send(message, deadline, wait)
            return PendingReply(self, sent, op, deadline, wait, retries)

    def close(self) -> None:
        """Closes the socket at once (pending messages are dropped). Idempotent."""
        with self._lock:
            self._closed = True
            self._drop_socket()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.endpoint!r}, timeout={self.timeout})"

    # -- internals ----------------------------------------------------------------------

    def _ready(self, wait: float) -> float:
        """Connects if needed (under the lock); returns the deadline of a request of ``wait``
        seconds: one deadline for the whole call, connecting (hello) included."""
        if self._closed:
            raise SandpitError("the client is closed")
        deadline = time.monotonic() + wait
        if self._hello is None or self._socket is None:
            self._connect(deadline, wait)
        return deadline

    def _connect(self, deadline: float, wait: float) -> None:
        """Opens the socket and performs ``hello`` if this connection has not yet."""
        if self._socket is not None and self._hello is not None:
            return
        if self._socket is None:
            socket: zmq.Socket = zmq.Context.instance().socket(zmq.DEALER)
            socket.setsockopt(zmq.LINGER, 0)
            socket.setsockopt(zmq.HEARTBEAT_IVL, _HEARTBEAT_IVL_MS)
            socket.setsockopt(zmq.HEARTBEAT_TIMEOUT, _HEARTBEAT_TIMEOUT_MS)
            socket.setsockopt(zmq.HEARTBEAT_TTL, _HEARTBEAT_TTL_MS)
            if self._curve is not None:
                socket.curve_serverkey, socket.curve_publickey, socket.curve_secretkey = self._curve
            # Before connect, so that no event of this socket is missed.
            self._monitor = socket.get_monitor_socket(_MONITOR_EVENTS)
            self._up = None
            socket.connect(self.endpoint)
            self._socket = socket
            self._rcvtimeo_ms = -1
        from . import __version__

        hello = {
            "op": "hello",
            "protocol": PROTOCOL_VERSION,
            "client": f"sandpit-python/{__version__}",
        }
        try:
            reply = self._call(hello, deadline, wait)
        except VersionMismatch as e:
            self._drop_socket()
            raise VersionMismatch(
                e.code,
                f"{e.message} (this client speaks protocol {PROTOCOL_VERSION}; "
                "upgrade the older side)",
            ) from None
        except SandpitError:
            self._drop_socket()
            raise
        if reply.get("protocol") != PROTOCOL_VERSION:
            self._drop_socket()
            raise VersionMismatch(
                "version_mismatch",
                f"server at {self.endpoint} speaks protocol {reply.get('protocol')!r}, "
                f"this client speaks {PROTOCOL_VERSION}",
            )
        if not isinstance(reply.get("envs"), list):
            self._drop_socket()
            raise ProtocolError("hello reply has no 'envs' list")
        self._hello = reply

    def _drop_socket(self) -> None:
        if self._socket is not None:
            if self._monitor is not None:
                try:
                    self._socket.disable_monitor()
                except zmq.ZMQError:
                    pass
                self._monitor.close(linger=0)
                self._monitor = None
            self._socket.close(linger=0)
        self._socket = None
        self._hello = None

    def _read_monitor(self) -> None:
        """Takes the socket monitor's events: a handshake brings the connection up, a
        disconnect after one is a drop."""
        monitor = self._monitor
        if monitor is None:
            return
        while int(monitor.getsockopt(zmq.EVENTS)) & zmq.POLLIN:
            frames = monitor.recv_multipart(zmq.NOBLOCK)
            event = int.from_bytes(frames[0][:2], "little")
            if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self._up = True
            elif event == zmq.EVENT_DISCONNECTED and self._up:
                self._up = False
                self._drops += 1

    def _dropped_since(self, drops: int) -> bool:
        """Whether the connection dropped since the monitor counted ``drops`` (or is down now,
        having been up): a request sent on it gets no reply."""
        self._read_monitor()
        return self._drops != drops or self._up is False

    def _dropped(self, why: str) -> ConnectionLost:
        """ConnectionLost for a dropped connection, saying why when a local server died."""
        dead = self._liveness() if self._liveness is not None else None
        return self._lost(dead or why)

    def _lost(self, why: str) -> ConnectionLost:
        self._drop_socket()
        return ConnectionLost(f"{why} ({self.endpoint})")

    def _receive(
        self, deadline: float, op: Any, wait: float, drops: int, resend: bool = False
    ) -> bytes:
        """The payload of the next reply (one frame), received before ``deadline``.

        This is the latency-critical wait, so it blocks in ``recv`` itself (ZMQ_RCVTIMEO)
        rather than polling first: one call into libzmq per frame. The wait is sliced so
        that the deadline and the liveness hook are checked between slices; the timeout
        option is only set when the slice changes, which it does not in steady state.
        """
        socket = self._socket
        assert socket is not None
        slice_s = _WAIT_SLICE_S if self._liveness is None else _POLL_SLICE_S
        left = deadline - time.monotonic()
        while True:
            if left <= 0:
                if resend:
                    raise _NoReply()
                raise self._lost(f"no reply to '{op}' within {wait:g} s")
            ms = max(1, math.ceil(min(left, slice_s) * 1000))
            if ms != self._rcvtimeo_ms:
                socket.setsockopt(zmq.RCVTIMEO, ms)
                self._rcvtimeo_ms = ms
            try:
                first = socket.recv()
                break
            except zmq.Again:
                pass
            if self._liveness is not None:
                dead = self._liveness()
                if dead is not None:
                    raise self._lost(dead)
            if self._dropped_since(drops):
                try:  # a reply that came before the drop still counts
                    first = socket.recv(zmq.NOBLOCK)
                    break
                except zmq.Again:
                    raise self._dropped(
                        f"the connection dropped while waiting for the reply to '{op}'"
                    ) from None
            left = deadline - time.monotonic()
        if not socket.get(_RCVMORE):
            return first
        # The rest of a message arrives with its first frame: no waiting from here on.
        frames = [first]
        while socket.get(zmq.RCVMORE):
            frames.append(socket.recv(zmq.NOBLOCK))
        raise ProtocolError(f"reply has {len(frames)} frames, expected one")

    def _wait(self, event: int, deadline: float) -> bool:
        """Polls for ``event`` until ``deadline``; raises at once if the server is known dead."""
        assert self._socket is not None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            slice_s = left if self._liveness is None else min(left, _POLL_SLICE_S)
            ms = None if math.isinf(slice_s) else max(1, int(slice_s * 1000))
            if self._socket.poll(ms, event):
                return True  # a reply sent before the server died still counts
            if self._liveness is not None:
                dead = self._liveness()
                if dead is not None:
                    raise self._lost(dead)

    def _call(
        self, message: dict[str, Any], deadline: float, wait: float, retries: int = 0
    ) -> dict[str, Any]:
        """Sends ``message`` (a map of the caller's own, given its ``id`` here) and returns
        the checked reply to it."""
        sent = self._send(message, deadline, wait)
        return self._await(sent, message.get("op"), deadline, wait, retries)

    def _send(self, message: dict[str, Any], deadline: float, wait: float) -> _Sent:
        """Gives ``message`` the next ``id`` and queues it; returns what a resend needs."""
        self._next_id += 1
        rid = self._next_id
        message["id"] = rid
        return self._send_payload(pack(message), rid, message.get("op"), deadline, wait)

    def _send_payload(
        self, payload: bytes, rid: int, op: Any, deadline: float, wait: float
    ) -> _Sent:
        """Queues a request already packed with ``id`` ``rid``."""
        socket = self._socket
        assert socket is not None
        now = time.monotonic()
        if now >= self._monitor_due:
            self._monitor_due = now + _MONITOR_EVERY_S
            self._read_monitor()
        if self._up is False:  # it dropped while idle and has not come back
            raise self._dropped(f"the connection to the server dropped before '{op}'")
        drops = self._drops
        try:
            try:
                socket.send(payload, _NOBLOCK)
            except zmq.Again:  # the send queue is full: wait for room, within the deadline
                if not self._wait(zmq.POLLOUT, deadline):
                    raise self._lost(f"could not send '{op}' within {wait:g} s") from None
                socket.send(payload, _NOBLOCK)
        except zmq.ZMQError as e:
            raise self._lost(f"transport error during '{op}': {e}") from None
        return _Sent(rid, payload, drops, time.monotonic())

    def _await(
        self, sent: _Sent, op: Any, deadline: float, wait: float, retries: int,
        plain: Optional[Callable[[bytes], Optional[PlainStep]]] = None,
    ) -> Any:
        """The checked reply to the request ``sent`` (resending it on a timeout while
        ``retries`` are left); with ``plain``, what it reads from a reply it recognizes."""
        socket = self._socket
        if socket is None:  # dropped since the send (an error on another request)
            raise self._lost(f"the connection was reset before the reply to '{op}'")
        rid, payload, drops = sent.rid, sent.payload, sent.drops
        # The sends share the call's time: send k (1-based) waits until k/(retries + 1)
        # of what was left when the first went out.
        share = (deadline - sent.at) / (retries + 1)
        sends = 1
        try:
            while True:
                until = deadline if sends > retries else sent.at + share * sends
                try:
                    payload = self._receive(until, op, wait, drops, sends <= retries)
                    if plain is not None:
                        got = plain(payload)
                        if got is not None and got[0] == rid:
                            return got
                    reply = unpack(payload)
                except _NoReply:
                    # Resend the same bytes: the server answers a repeated seq from its copy.
                    sends += 1
                    socket.send(payload, _NOBLOCK)
                    continue
                if "id" in reply:
                    if reply["id"] != rid:
                        continue  # a late reply to an earlier request: not ours
                elif reply.get("ok") is not False:
                    continue  # only an error can lack the id (a request it could not parse)
                return self._check(reply, op)
        except zmq.ZMQError as e:
            raise self._lost(f"transport error during '{op}': {e}") from None

    @staticmethod
    def _check(reply: dict[str, Any], op: Any) -> dict[str, Any]:
        ok = reply.get("ok")
        if ok is True:
            return reply
        if ok is not False:
            raise ProtocolError(f"reply to '{op}' has no boolean 'ok'")
        error = reply.get("error")
        if not isinstance(error, dict) or not isinstance(error.get("code"), str):
            raise ProtocolError(f"error reply to '{op}' has no error code: {reply!r}")
        code = error["code"]
        message = error.get("message", "")
        if not isinstance(message, str):
            message = str(message)
        if code == "version_mismatch":
            raise VersionMismatch(code, message)
        raise ServerError(code, message)


class PendingReply:
    """A request sent by :meth:`Client.send` whose reply has not been taken yet."""

    __slots__ = ("_client", "_sent", "_op", "_deadline", "_wait", "_retries")

    def __init__(
        self,
        client: Client,
        sent: _Sent,
        op: Any,
        deadline: float,
        wait: float,
        retries: int,
    ) -> None:
        self._client = client
        self._sent = sent
        self._op = op
        self._deadline = deadline
        self._wait = wait
        self._retries = retries

    @property
    def endpoint(self) -> str:
        return self._client.endpoint

    def result(self) -> dict[str, Any]:
        """Waits for the reply (see :meth:`Client.request` for what it raises)."""
        client = self._client
        with client._lock:
            if client._closed:
                raise SandpitError("the client is closed")
            return client._await(self._sent, self._op, self._deadline, self._wait, self._retries)
