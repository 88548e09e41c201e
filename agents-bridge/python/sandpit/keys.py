"""CurveZMQ keys for servers that require them (``sandpit serve --curve-secret``).

Key files are what ``sandpit keygen --out PREFIX`` writes: ``PREFIX.key`` (the secret key,
mode 0600) and ``PREFIX.pub`` (the public key), each holding one line of Z85 text (40
characters) after optional ``#`` comment lines.

>>> from sandpit.keys import load_keypair
>>> env = sandpit.make("CartPole-v0", "tcp://10.0.0.5:5555",
...                    server_key="server.pub", client_key=load_keypair("me"))

``server_key`` is the server's public key: a Z85 string or the path of a ``.pub`` file.
``client_key`` is this client's key pair: a :class:`KeyPair`, a ``(public, secret)`` tuple, a
Z85 secret key, the path of a ``.key`` file, or a prefix (``PREFIX.key`` is read). Pass paths
rather than key text where you can: the arguments end up in the env's ``spec.kwargs``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import NamedTuple, Optional, Tuple, Union

import zmq

__all__ = ["KeyPair", "load_keypair", "generate_keypair", "read_key", "server_public_key",
           "client_keypair"]

Z85_KEY_LEN = 40
_Z85_ALPHABET = frozenset(
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
)

KeyArg = Union[str, os.PathLike, bytes]


class KeyPair(NamedTuple):
    """A CURVE key pair, both keys in Z85 (40 ASCII characters)."""

    public: str
    secret: str

    def __repr__(self) -> str:  # never print a secret by accident
        return f"KeyPair(public={self.public!r}, secret=<hidden>)"


def _is_z85_key(text: str) -> bool:
    return len(text) == Z85_KEY_LEN and all(c in _Z85_ALPHABET for c in text)


def read_key(path: Union[str, os.PathLike], *, secret: bool = False) -> str:
    """Reads the Z85 key of a key file. With ``secret``, refuses a file that others than its
    owner may access (as the server does for ``--curve-secret``)."""
    p = Path(path)
    if secret:
        mode = p.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise PermissionError(
                f"{p} holds a secret key but others may access it (mode {mode & 0o7777:04o}): "
                "chmod 600 it"
            )
    for line in p.read_text(encoding="ascii").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if _is_z85_key(line):
            return line
        break
    raise ValueError(f"{p} holds no CURVE key (one line of 40 Z85 characters)")


def _text(key: KeyArg) -> str:
    if isinstance(key, bytes):
        return key.decode("ascii")
    return os.fspath(key) if isinstance(key, os.PathLike) else key


def server_public_key(key: KeyArg) -> str:
    """The server's public key from a Z85 string or the path of a ``.pub`` file."""
    text = _text(key)
    if isinstance(key, str | bytes) and _is_z85_key(text):
        return text
    if os.path.isfile(text):
        return read_key(text)
    raise ValueError(
        "server_key must be a Z85 public key (40 characters) or the path of a .pub file"
    )


def load_keypair(prefix: Union[str, os.PathLike]) -> KeyPair:
    """Reads ``PREFIX.key`` (and checks ``PREFIX.pub`` against it when present)."""
    prefix = os.fspath(prefix)
    secret = read_key(prefix + ".key", secret=True)
    public = zmq.curve_public(secret.encode("ascii")).decode("ascii")
    pub_path = prefix + ".pub"
    if os.path.exists(pub_path) and read_key(pub_path) != public:
        raise ValueError(f"{pub_path} is not the public key of {prefix}.key")
    return KeyPair(public, secret)


def client_keypair(key: Union[KeyPair, Tuple[str, str], KeyArg]) -> KeyPair:
    """This client's key pair from any form ``client_key=`` takes (see the module doc)."""
    if isinstance(key, tuple):
        public, secret = (_text(k) for k in key)
        if not (_is_z85_key(public) and _is_z85_key(secret)):
            raise ValueError("a client key pair must be two Z85 keys (public, secret)")
        if zmq.curve_public(secret.encode("ascii")).decode("ascii") != public:
            raise ValueError("the client's public key does not match its secret key")
        return KeyPair(public, secret)
    text = _text(key)
    if isinstance(key, str | bytes) and _is_z85_key(text):
        return KeyPair(zmq.curve_public(text.encode("ascii")).decode("ascii"), text)
    if text.endswith(".key") and os.path.isfile(text):
        return load_keypair(text[: -len(".key")])
    if os.path.isfile(text + ".key"):
        return load_keypair(text)
    raise ValueError(
        "client_key must be a KeyPair, a (public, secret) tuple, a Z85 secret key, the path of "
        "a .key file or a key prefix"
    )


def generate_keypair(prefix: Optional[Union[str, os.PathLike]] = None) -> KeyPair:
    """A new key pair; with ``prefix``, also written as ``sandpit keygen`` would (never
    overwriting a file)."""
    public_b, secret_b = zmq.curve_keypair()
    pair = KeyPair(public_b.decode("ascii"), secret_b.decode("ascii"))
    if prefix is not None:
        prefix = os.fspath(prefix)
        for suffix, mode, comment, value in (
            (".pub", 0o644, "sandpit CURVE public key", pair.public),
            (".key", 0o600, "sandpit CURVE secret key: keep it private", pair.secret),
        ):
            fd = os.open(prefix + suffix, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            with os.fdopen(fd, "w", encoding="ascii") as f:
                os.fchmod(f.fileno(), mode)
                f.write(f"# {comment}\n{value}\n")
    return pair
