"""A key given twice is refused in every map of a request, at any depth, against a real server.

Top-level keys always were; nested maps (guardrails, fault dicts and their schedules, info,
record, reset options, action arrays) used to be decoded first-wins or last-wins in silence.
msgpack-python cannot write a map with a repeated key, so these requests are encoded here.
"""

from __future__ import annotations

from typing import Any, List, Tuple

import msgpack
import numpy as np
import pytest
from helpers import RawClient, wire


class Pairs:
    """A msgpack map written pair by pair, so that a key may repeat."""

    def __init__(self, *pairs: Tuple[Any, Any]) -> None:
        self.pairs: List[Tuple[Any, Any]] = list(pairs)


class Raw:
    """Bytes spliced in as they are (a key in another msgpack width, for instance)."""

    def __init__(self, data: bytes) -> None:
        self.data = data


def enc(x: Any) -> bytes:
    if isinstance(x, Raw):
        return x.data
    if isinstance(x, dict):
        x = Pairs(*x.items())
    if isinstance(x, Pairs):
        n = len(x.pairs)
        head = bytes([0x80 | n]) if n < 16 else b"\xde" + n.to_bytes(2, "big")
        return head + b"".join(enc(k) + enc(v) for k, v in x.pairs)
    if isinstance(x, list):
        n = len(x)
        head = bytes([0x90 | n]) if n < 16 else b"\xdc" + n.to_bytes(2, "big")
        return head + b"".join(enc(e) for e in x)
    return msgpack.packb(x, use_bin_type=True)


def make(**fields: Any) -> Pairs:
    return Pairs(("op", "make"), ("id", 41), ("env", "CartPoleContinuous-v0"), *fields.items())


def refused(raw: RawClient, request: Pairs, key: str, field: str) -> None:
    reply = raw.send_bytes(enc(request))
    assert reply["ok"] is False, reply
    assert reply["error"]["code"] == "bad_request", reply
    assert reply.get("id") == 41, reply  # the message is well-formed: its id is echoed
    msg = reply["error"]["message"]
    assert f"field '{field}'" in msg and f"key '{key}' appears twice" in msg, msg
    # The server keeps serving this client.
    assert raw.call({"op": "ping", "id": 42})["ok"]


SCHEDULE = {"type": "window", "start": 1, "end": 3}

MAKE_CASES = {
    # name: (make's fields with one repeated key, the key, the top-level field)
    "guardrails": (
        {"guardrails": Pairs(("budget", "abs"), ("budget_limit", 1.0), ("budget", "square"))},
        "budget",
        "guardrails",
    ),
    "guardrails_actuator": (
        {
            "guardrails": {
                "actuators": {"*": Pairs(("bounds", "clip"), ("bounds", "terminate"))}
            }
        },
        "bounds",
        "guardrails",
    ),
    "fault_dict": (
        {"faults": [Pairs(("kind", "bias"), ("target", "cart.x"), ("offset", 0.5),
                          ("offset", 0.7))]},
        "offset",
        "faults",
    ),
    "fault_schedule": (
        {"faults": [{"kind": "bias", "target": "cart.x", "offset": 0.5,
                     "schedule": Pairs(*SCHEDULE.items(), ("end", 4))}]},
        "end",
        "faults",
    ),
    # map_kind and read_transport each read a "kind": a second one that is no string used to
    # leave the transport decoder reading an uninitialised buffer.
    "transport_fault_kind": (
        {"faults": [Pairs(("kind", "reply_delay"), ("delay_ms", 5), ("kind", 7))]},
        "kind",
        "faults",
    ),
    "info": (
        {"info": Pairs(("faults", True), ("sensor_valid", True), ("faults", False))},
        "faults",
        "info",
    ),
    "record": (
        {"record": Pairs(("dir", "/tmp/a"), ("dir", "/tmp/b"))},
        "dir",
        "record",
    ),
    # The same key in another width is the same key: str8 "dir" against fixstr "dir".
    "record_wide_key": (
        {"record": Pairs(("dir", "/tmp/a"), (Raw(b"\xd9\x03dir"), "/tmp/b"))},
        "dir",
        "record",
    ),
}


@pytest.mark.parametrize("name", list(MAKE_CASES))
def test_make_refuses_a_nested_repeated_key(raw, name):
    fields, key, field = MAKE_CASES[name]
    refused(raw, make(**fields), key, field)


@pytest.fixture
def session(raw: RawClient):
    reply = raw.call({"op": "make", "env": "CartPole-v0", "num_envs": 2, "guardrails": {},
                      "faults": []})
    assert reply["ok"], reply
    assert raw.call({"op": "reset", "session": reply["session"]})["ok"]
    yield reply["session"]
    raw.call({"op": "close", "session": reply["session"]})


def test_reset_options_refuse_a_repeated_key(raw, session):
    base = (("op", "reset"), ("id", 41), ("session", session))
    refused(raw, Pairs(*base, ("options", Pairs(("faults", []), ("faults", [])))),
            "faults", "options")
    nested = Pairs(("guardrails", Pairs(("budget", "abs"), ("budget", "abs"))))
    refused(raw, Pairs(*base, ("options", nested)), "budget", "options")


def test_step_actions_refuse_a_repeated_key(raw, session):
    actions = wire(np.zeros(2, np.int32), "int32")
    twice = Pairs(*actions.items(), ("dtype", "int32"))
    refused(raw, Pairs(("op", "step"), ("id", 41), ("session", session), ("actions", twice)),
            "dtype", "actions")
    # The same request with each key once steps.
    reply = raw.call({"op": "step", "id": 43, "session": session, "actions": actions})
    assert reply["ok"], reply


def test_integer_keys_repeat_by_value(raw):
    # 5 as a positive fixint and as a uint16: one key, twice.
    value = Pairs((5, "a"), (Raw(b"\xcd\x00\x05"), "b"))
    reply = raw.send_bytes(enc(Pairs(("op", "ping"), ("id", 41), ("x", value))))
    assert reply["ok"] is False and reply["error"]["code"] == "bad_request", reply
    assert "field 'x'" in reply["error"]["message"], reply


def test_a_map_of_more_than_1024_pairs_is_refused(raw):
    big = Pairs(*((f"k{i}", i) for i in range(1025)))
    reply = raw.send_bytes(enc(make(info=big)))
    assert reply["ok"] is False and reply["error"]["code"] == "bad_request", reply
    assert "more than 1024 pairs" in reply["error"]["message"], reply
    # 1024 distinct keys pass the reader; info's own decoder then names the first unknown one.
    ok_size = Pairs(*((f"k{i}", i) for i in range(1024)))
    reply = raw.send_bytes(enc(make(info=ok_size)))
    assert reply["ok"] is False and "info.k0: unknown key" in reply["error"]["message"], reply


def test_distinct_keys_in_nested_maps_are_accepted(raw):
    request = make(
        guardrails={"budget": "abs", "budget_limit": 1.0},
        faults=[{"kind": "bias", "target": "cart.x", "offset": 0.5, "schedule": SCHEDULE}],
        info={"faults": True, "sensor_valid": True},
    )
    reply = raw.send_bytes(enc(request))
    assert reply["ok"], reply
    raw.call({"op": "close", "session": reply["session"]})
