#!/usr/bin/env python3
"""Benchmark 1, latency: one CartPole-v0 env stepped lockstep from Python through the
`sandpit` client (SandpitEnv.step), per step, divided by a raw pyzmq REQ round trip of a
payload the size of that step request to `sandpit-echo` (a bare C ROUTER that sends every
message back) on the same transport. Both transports are measured: ipc and tcp loopback.
Target: at most 1.5 (issue 14).

What the ratio charges to sandpit: the client's encoding, id matching and decoding into
numpy and Gymnasium's return types, the server's request parsing, the env step itself
(2 physics substeps) and the reply packing; the echo round trip is the floor that ZeroMQ
and the two processes' wake-ups set on this machine.

A second row per transport, for information, splits the figure: the same step request
bytes sent by a raw pyzmq REQ socket straight to `sandpit serve` (a session with autoreset),
over the same echo round trip. Its excess over 1 is the server's share (its ZeroMQ loop,
parsing, the step, packing); the rest of the first row's excess is the Python client's.

Method: in each repetition, K calls of each side, each call timed on its own (resets after
an episode ends are not timed); a repetition's figure is its median call; sides alternate
within repetitions; a ratio is the median of per-repetition ratios.

    python3 bench/bench_latency.py [--quick] [--check]
"""

from __future__ import annotations

import sys
import time

import benchlib  # first: it makes `sandpit` importable from the source tree
import msgpack
import numpy as np
import sandpit
import zmq
from benchlib import EchoServer, Report, interleave, median, median_ratio
from sandpit.protocol import pack
from sandpit.spaces import encode_actions

ENV_ID = "CartPole-v0"
TARGET = 1.5


def step_sizes(env: sandpit.SandpitEnv) -> tuple[int, int]:
    """Bytes of one step request and of its reply, as the client and server write them."""
    actions = encode_actions(0, env.action_space, 1, batched=False)
    request = pack({"op": "step", "session": env.session_id, "actions": actions, "id": 2**20})
    reply = env.client.request("step", session=env.session_id, actions=actions)
    env.reset()
    return len(request), len(msgpack.packb(reply, use_bin_type=True))


def main() -> int:
    args = benchlib.parse_args(__doc__.split("\n\n")[0])
    reps, calls = (5, 200) if args.quick else (21, 1000)

    transports = ["ipc", "tcp"]
    server = benchlib.start_server(*(benchlib.endpoint(t) for t in transports))
    echoes = [EchoServer(benchlib.endpoint(t)) for t in transports]
    ctx = zmq.Context.instance()
    report = Report(
        f"bench_latency: {ENV_ID}, one env stepped lockstep from Python (SandpitEnv.step) / "
        "raw pyzmq REQ round trip to sandpit-echo",
        ["transport", "client", "us/step", "echo us", "request B", "reply B"],
        notes=[
            benchlib.machine_note(),
            f"medians of {reps} interleaved repetitions x {calls} calls; each call timed alone",
        ],
    )
    try:
        rng = np.random.default_rng(0)
        actions = rng.integers(0, 2, size=calls)  # np.int64 scalars, as Discrete.sample() gives
        for transport, ep, echo in zip(transports, server.endpoints, echoes, strict=True):
            env = sandpit.make(ENV_ID, ep, seed=0)
            env.reset(seed=0)
            req_bytes, reply_bytes = step_sizes(env)
            payload = bytes(req_bytes)
            sock = ctx.socket(zmq.REQ)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(echo.endpoint)
            # The raw client: a session of its own that never needs a reset.
            raw_client = sandpit.Client(ep)
            raw_session = raw_client.request(
                "make", env=ENV_ID, num_envs=1, seed=0, autoreset="next_step"
            )["session"]
            raw_client.request("reset", session=raw_session)
            raw_requests = [
                pack({"op": "step", "session": raw_session, "id": 2**20,
                      "actions": encode_actions(a, env.action_space, 1, batched=False)})
                for a in (0, 1)
            ]
            raw = ctx.socket(zmq.REQ)
            raw.setsockopt(zmq.LINGER, 0)
            raw.connect(ep)

            def step_side() -> float:
                times = []
                pc = time.perf_counter
                step = env.step
                for a in actions:
                    t0 = pc()
                    _, _, terminated, truncated, _ = step(a)
                    times.append(pc() - t0)
                    if terminated or truncated:
                        env.reset()
                return median(times)

            def round_trips(s: zmq.Socket, payloads: list[bytes]) -> float:
                times = []
                pc = time.perf_counter
                send, recv = s.send, s.recv
                for i in range(calls):
                    p = payloads[i & 1]
                    t0 = pc()
                    send(p)
                    recv()
                    times.append(pc() - t0)
                return median(times)

            sides = {
                "step": step_side,
                "raw": lambda: round_trips(raw, raw_requests),
                "echo": lambda: round_trips(sock, [payload, payload]),
            }
            for side in sides.values():  # warm up: connections, caches, allocator
                side()
            got = interleave(reps, sides)
            echo_us = f"{median(got['echo']) * 1e6:.1f}"
            report.row(
                [transport, "SandpitEnv.step", f"{median(got['step']) * 1e6:.1f}", echo_us,
                 str(req_bytes), str(reply_bytes)],
                median_ratio(got["step"], got["echo"]),
                "<=",
                TARGET,
            )
            report.row(
                [transport, "raw REQ, same bytes", f"{median(got['raw']) * 1e6:.1f}", echo_us,
                 str(len(raw_requests[0])), str(reply_bytes)],
                median_ratio(got["raw"], got["echo"]),
                None,
                None,
            )
            raw.close(linger=0)
            raw_client.close()
            sock.close(linger=0)
            env.close()
    finally:
        for echo in echoes:
            echo.stop()
        server.stop()
    return benchlib.finish(report, args)


if __name__ == "__main__":
    sys.exit(main())
