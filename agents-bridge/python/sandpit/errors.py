"""Exceptions raised by the sandpit client. All of them subclass :class:`SandpitError`."""

from __future__ import annotations

__all__ = [
    "SandpitError",
    "ConnectionLost",
    "ServerError",
    "VersionMismatch",
    "ProtocolError",
    "ServerStartError",
    "InvalidAction",
    "RecordingWarning",
]


class SandpitError(Exception):
    """Base class of every error the sandpit client raises."""


class ConnectionLost(SandpitError, ConnectionError):
    """The server did not answer within the timeout, or the local server process died.

    The client's socket is discarded when this is raised; the next request opens a fresh
    connection (and sends ``hello`` again), so a retry works once the server is back.
    Sessions held on a server that died are gone.
    """


class ServerError(SandpitError):
    """The server answered with an error reply.

    Attributes:
        code: The stable error code from docs/PROTOCOL.md, e.g. ``"needs_reset"``,
            ``"bad_action"``, ``"unknown_session"``. Match on this, not on the message.
        message: The server's human-readable explanation.
    """

    def __init__(self, code: str, message: str = "") -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}" if message else code)

    def __reduce__(self):  # keeps the exception picklable across processes
        return (type(self), (self.code, self.message))


class VersionMismatch(ServerError):
    """The server does not speak this client's protocol version (refused at ``hello``)."""

    def __init__(self, code: str = "version_mismatch", message: str = "") -> None:
        super().__init__(code, message)


class ProtocolError(SandpitError):
    """The server sent a reply that does not follow docs/PROTOCOL.md (a client or server bug)."""


class ServerStartError(SandpitError):
    """A local ``sandpit serve`` process could not be found or did not become ready."""


class InvalidAction(SandpitError, ValueError):
    """An action that cannot be converted to the wire format (wrong shape, kind or range).

    Range and NaN checks that the server performs (``bad_action``) are left to the server
    and arrive as :class:`ServerError`; this is raised only for actions the client cannot
    even encode faithfully, e.g. an integer that does not fit in int32.
    """


class RecordingWarning(UserWarning):
    """A recorder on the server stopped: a replay file could not be created or written.

    Warned once per env, by the reset, step or close whose reply told of it (the reply's
    ``record_error``); the env's episodes go on unrecorded. Make it an error with
    ``warnings.simplefilter("error", sandpit.RecordingWarning)``.
    """
