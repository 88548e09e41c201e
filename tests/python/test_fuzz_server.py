"""Random and mutated messages against a server built with ASan+UBSan (docs/SECURITY.md).

Hypothesis sends thousands of messages: random bytes, mutations of real requests (flipped
bytes, cut short, extra keys, wrong types, huge claimed lengths) and random maps with real op
names, over live sessions. The server must answer every one that fits the framing rules (all
of them here: none is over twice --max-message-bytes) within a timeout, and stay clean: after
SIGTERM it exits 0 with no sanitizer report on stderr.

The server is $SANDPIT_ASAN_BIN, else <repo>/build-asan/bin/sandpit; without either the tests
skip (dev.sh test builds build-asan and sets SANDPIT_ASAN_BIN).
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator, List

import msgpack
import numpy as np
import pytest
import zmq

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sandpit.protocol import pack  # noqa: E402
from sandpit.server import private_ipc_endpoint  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MAX_MESSAGE = 16384
REPLY_TIMEOUT_MS = 10_000
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "SUMMARY: UndefinedBehaviorSanitizer", "invariant failed")
FUZZ = settings(
    max_examples=1200,
    deadline=None,
    derandomize=True,  # the same messages every run: CI is reproducible
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)


def asan_binary() -> str:
    configured = os.environ.get("SANDPIT_ASAN_BIN")
    if configured:
        return configured
    built = REPO / "build-asan" / "bin" / "sandpit"
    if built.is_file():
        return str(built)
    pytest.skip("no ASan+UBSan build: set SANDPIT_ASAN_BIN or build build-asan "
                "(cmake -S . -B build-asan -DSP_SANITIZE=ON; dev.sh test does)")


class AsanServer:
    def __init__(self) -> None:
        exe = asan_binary()
        self.endpoint = private_ipc_endpoint()
        self.stderr = tempfile.NamedTemporaryFile(prefix="sandpit-asan-", suffix=".log",
                                                  delete=False)
        env = dict(os.environ,
                   ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
                   UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
        self.proc = subprocess.Popen(
            [exe, "serve", "--bind", self.endpoint, "--max-message-bytes", str(MAX_MESSAGE),
             "--max-sessions", "8", "--max-envs-per-session", "16", "--max-total-envs", "48",
             "--max-step-rate", "2000", "--idle-timeout", "30", "--threads", "2"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.stderr, text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip() == "ready":
                break
        else:
            raise AssertionError(f"the ASan server did not start:\n{self.log()}")
        self.ctx = zmq.Context.instance()
        self.socket = self.ctx.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(self.endpoint)
        self.sent = 0

    def log(self) -> str:
        return Path(self.stderr.name).read_text(errors="replace")

    def exchange(self, frames: List[bytes]) -> dict:
        """Sends one message and returns its reply map; fails if none comes in time."""
        self.socket.send_multipart(frames)
        self.sent += 1
        if not self.socket.poll(REPLY_TIMEOUT_MS, zmq.POLLIN):
            raise AssertionError(
                f"no reply within {REPLY_TIMEOUT_MS} ms to {frames!r:.300}; alive="
                f"{self.proc.poll() is None}\n{self.log()[-3000:]}")
        reply = self.socket.recv_multipart()
        payload = reply[-1]
        decoded = msgpack.unpackb(payload, raw=False)
        assert isinstance(decoded, dict) and isinstance(decoded.get("ok"), bool), decoded
        return decoded

    def request(self, message: dict) -> dict:
        return self.exchange([b"", pack(message)])

    def stop(self) -> int:
        self.socket.close(linger=0)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def asan() -> Iterator[AsanServer]:
    srv = AsanServer()
    yield srv
    srv.stop()
    os.unlink(srv.stderr.name)


@pytest.fixture(scope="module")
def seeds(asan: AsanServer) -> List[bytes]:
    """Real requests, over live sessions made here (the fuzzed messages may close them)."""
    out: List[dict] = [{"op": "hello", "protocol": 1, "client": "fuzz"}, {"op": "ping"},
                       {"op": "stats"}]
    for env_id, n, discrete, k in (("CartPole-v0", 3, True, 1),
                                   ("LanderContinuous-v0", 2, False, 2)):
        make = {"op": "make", "env": env_id, "num_envs": n, "seed": 1, "hashes": True,
                "autoreset": "next_step", "max_steps": 50}
        s = asan.request(make)["session"]
        asan.request({"op": "reset", "session": s})
        out.append(make)
        out.append({"op": "reset", "session": s, "seed": [1] + [None] * (n - 1)})
        out.append({"op": "reset", "session": s, "seed": 4})
        if discrete:
            actions = {"dtype": "int32", "shape": [n], "data": np.ones(n, "<i4").tobytes()}
        else:
            actions = {"dtype": "float32", "shape": [n, k],
                       "data": np.full((n, k), 0.5, "<f4").tobytes()}
        out.append({"op": "step", "session": s, "actions": actions})
        out.append({"op": "close", "session": s + (1 << 40)})  # a stale id
    return [pack({**m, "id": i + 1}) for i, m in enumerate(out)]


# -- strategies ---------------------------------------------------------------------------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.binary(max_size=64),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=8), inner, max_size=5)),
    max_leaves=12)
field_names = st.sampled_from(["op", "id", "session", "env", "num_envs", "seed", "max_steps",
                               "autoreset", "hashes", "actions", "protocol", "client",
                               "dtype", "shape", "data", "x"])
op_names = st.sampled_from(["ping", "hello", "make", "reset", "step", "close", "stats", "nope"])

# Headers that claim far more than follows: maps, arrays, str, bin, ext.
HUGE = [b"\xdf\xff\xff\xff\xff", b"\xdd\xff\xff\xff\xff", b"\xdb\xff\xff\xff\xff",
        b"\xc6\xff\xff\xff\xff", b"\xc9\xff\xff\xff\xff\x01", b"\xde\xff\xff", b"\xdc\xff\xff"]


@st.composite
def mutated(draw, seeds: List[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "append", "insert_huge", "set_byte"]))
        if kind == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set_byte" and data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.sampled_from([0x00, 0x7f, 0x80, 0xc0, 0xc1, 0xcf, 0xd3, 0xdf, 0xff]))
        elif kind == "cut" and data:
            del data[draw(st.integers(0, len(data) - 1)):]
        elif kind == "append":
            data += draw(st.binary(min_size=1, max_size=16))
        elif kind == "insert_huge":
            i = draw(st.integers(0, len(data)))
            data[i:i] = draw(st.sampled_from(HUGE))
    return bytes(data)


@st.composite
def retyped(draw, seeds: List[bytes]) -> bytes:
    """A real request with extra keys and values of the wrong type."""
    message = msgpack.unpackb(draw(st.sampled_from(seeds)), raw=False)
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.one_of(field_names, st.sampled_from(sorted(message))))
        if draw(st.booleans()) and key in message and isinstance(message[key], dict):
            inner = dict(message[key])
            inner[draw(field_names)] = draw(values)
            message[key] = inner
        else:
            message[key] = draw(values)
    return msgpack.packb(message, use_bin_type=True)


@st.composite
def random_map(draw) -> bytes:
    message = draw(st.dictionaries(field_names, values, max_size=6))
    message["op"] = draw(op_names)
    return msgpack.packb(message, use_bin_type=True)


# -- tests --------------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=3 * MAX_MESSAGE // 2))
def test_random_bytes(asan, payload):
    reply = asan.exchange([b"", payload])
    if len(payload) > MAX_MESSAGE:
        assert reply["error"]["code"] == "too_large"


@FUZZ
@given(st.data())
def test_mutated_real_requests(asan, seeds, data):
    asan.exchange([b"", data.draw(mutated(seeds))])


@FUZZ
@given(st.data())
def test_real_requests_with_wrong_types_and_extra_keys(asan, seeds, data):
    asan.exchange([b"", data.draw(retyped(seeds))])


@settings(FUZZ, max_examples=600)
@given(random_map())
def test_random_maps_with_real_ops(asan, payload):
    asan.exchange([b"", payload])


@settings(FUZZ, max_examples=300)
@given(st.lists(st.binary(max_size=64), min_size=0, max_size=4), st.booleans())
def test_odd_framing(asan, frames, delimiter):
    # Without a delimiter the first frame is the payload (a DEALER without the REQ envelope);
    # an empty message is not one ZeroMQ can send.
    frames = ([b""] if delimiter else []) + frames
    if not frames:
        frames = [b"\x80"]
    asan.exchange(frames)


def test_zz_still_serves_and_exits_clean(asan):
    """Runs last: the server still answers properly, then stops cleanly."""
    reply = asan.request({"op": "hello", "protocol": 1, "id": 1})
    assert reply["ok"] is True
    s = asan.request({"op": "make", "env": "CartPole-v0", "num_envs": 2, "seed": 0})
    if s["ok"]:  # the fuzzed messages may have filled the table
        asan.request({"op": "reset", "session": s["session"]})
        asan.request({"op": "close", "session": s["session"]})
    stats = asan.request({"op": "stats"})
    assert stats["ok"] and stats["requests"] >= asan.sent
    code = asan.stop()
    log = asan.log()
    assert code == 0, f"exit {code}\n{log[-4000:]}"
    for mark in SANITIZER_MARKS:
        assert mark not in log, log[-4000:]
    assert asan.sent >= 4000
