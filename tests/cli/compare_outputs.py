#!/usr/bin/env python3
"""Everything a build writes that users and files depend on, captured by a fixed set of
commands, so a refactoring can show its outputs unchanged byte for byte against the commit
before it (built elsewhere, e.g. `git archive BASE | tar -x -C /tmp/base` and a cmake build).

    compare_outputs.py capture BIN_DIR OUT_DIR     run the commands, write their outputs
    compare_outputs.py compare BASE_DIR NEW_DIR    byte-compare two captures (exit 1 on a diff)

What is captured: the golden table and the replays of its runs (every env and scene, every
fault kind, tripping guardrails: `golden_hashes --write/--record`); `sandpit envs` (text and
--json); CLI rollouts recorded with and without observations, a catalogue scene included;
`replay info --json` and `replay verify` of each file; `scene check`; PNG frames and a GIF
from `replay export` and a `scene render`; and the raw reply bytes of a scripted wire session
against `sandpit serve` (hello with the catalogue, make with faults, guardrails, info and
recording, reset, steps, render, errors of several codes, stats, close).

PNG and GIF files are compared by their pixels (every frame, decoded with Pillow) when their
bytes differ, and said so: their deflate and LZW streams are the compressor's choice, not
part of the format; each capture also exports twice and checks those bytes are equal (stable
run to run).
The server's random instance tag (in record file names and `stats`) is replaced by a fixed
string; nothing else is normalized.

Needs pyzmq and msgpack (build/venv has both) and Pillow for PNG pixels.
"""

import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENVS = ["CartPole-v0", "CartPoleContinuous-v0", "Pendulum-v0", "Acrobot-v0", "Lander-v0",
        "LanderContinuous-v0"]
OUT = "."


def run(args, out=None, ok=(0,)):
    """Runs in the capture directory with relative paths, so no output names where it is."""
    p = subprocess.run(args, capture_output=True, cwd=OUT)
    if p.returncode not in ok:
        sys.exit(f"{' '.join(args)}: exit {p.returncode}\n{p.stderr.decode(errors='replace')}")
    if out:
        with open(out, "wb") as f:
            f.write(p.stdout)
        with open(out + ".stderr", "wb") as f:
            f.write(p.stderr + f"\nexit {p.returncode}\n".encode())
    return p


def wire_session(sandpit, out, record_root):
    import msgpack
    import zmq

    ep = f"ipc://{record_root}/wire.sock"
    srv = subprocess.Popen([sandpit, "serve", "--bind", ep, "--record-root", record_root],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ctx = zmq.Context()
    sock = ctx.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 30000)
    sock.connect(ep)
    replies = []

    def req(msg, raw=None, ok=True):
        sock.send(raw if raw is not None else msgpack.packb(msg, use_bin_type=True))
        data = sock.recv()
        replies.append(data)
        reply = msgpack.unpackb(data, raw=False)
        if ok and raw is None and not reply.get("ok"):
            sys.exit(f"{msg.get('op')}: {reply}")
        return reply

    def arr(dtype, shape, data):
        return {"dtype": dtype, "shape": list(shape), "data": data}

    try:
        for _ in range(300):  # the socket file appears when the server is bound
            if os.path.exists(f"{record_root}/wire.sock"):
                break
            time.sleep(0.05)
        req({"op": "hello", "protocol": 1, "client": "compare"})
        req({"op": "ping", "id": 7})
        faults = [{"kind": "noise", "sigma": 0.05}, {"kind": "delay", "steps": 2},
                  {"kind": "action_repeat", "steps": 2},
                  {"kind": "outage", "target": "pole.*", "mode": "zero",
                   "schedule": {"type": "window", "start": 3, "end": 7}}]
        r = req({"op": "make", "env": "CartPole-v0", "num_envs": 2, "seed": 4, "hashes": True,
                 "faults": faults, "info": {"faults": True, "sensor_valid": True},
                 "guardrails": {"max_speed": 50}, "record": {"dir": "rec", "observations": True}})
        s = r["session"]
        req({"op": "reset", "session": s, "seed": 11})
        for i in range(40):
            a = bytes([i % 2, 0, 0, 0, (i // 3) % 2, 0, 0, 0])
            req({"op": "step", "session": s, "actions": arr("int32", [2], a), "seq": i + 1})
        req({"op": "render", "session": s, "envs": [0, 1], "width": 64, "height": 48})
        req({"op": "step", "session": s, "actions": arr("int32", [2], b"\x07" + bytes(7))},
            ok=False)
        req({"op": "close", "session": s})
        r = req({"op": "make", "env": "LanderContinuous-v0", "seed": 2, "hashes": True,
                 "autoreset": "same_step",
                 "guardrails": {"actuators": {"*": {"bounds": "terminate"},
                                              "engine.main": {"max_delta": 0.5,
                                                              "rate": "clip"}},
                                "constraint": {"sensor": "hull.x", "low": -1.0,
                                               "high": 1.0, "limit": 0, "policy": "count"}},
                 "record": {"dir": "rec"}})
        s = r.get("session")
        if s is not None:
            req({"op": "reset", "session": s, "options": {"faults": [{"kind": "bias",
                 "target": "hull.x", "offset": 0.5}]}})
            for i in range(30):
                v = [0.3 * ((i % 5) - 2), 1.5 if i == 20 else 0.2]
                req({"op": "step", "session": s,
                     "actions": arr("float32", [1, 2], struct.pack("<2f", *v))})
            req({"op": "close", "session": s})
        r = req({"op": "make", "env": "CartPoleScene-v0", "num_envs": 3, "seed": 9,
                 "hashes": True, "record": {"dir": "rec"}})
        s = r["session"]
        req({"op": "reset", "session": s})
        for i in range(25):
            req({"op": "step", "session": s, "actions": arr("int32", [3], bytes(12))})
        req({"op": "reset", "session": s, "seed": [1, None, 3],
             "mask": arr("uint8", [3], b"\1\0\1")})
        req({"op": "close", "session": s})
        with open(os.path.join(ROOT, "assets/scenes/cartpole.json")) as f:
            scene = f.read().replace("CartPoleScene-v0", "Inline-v0")
        r = req({"op": "make", "scene": scene, "seed": 1, "hashes": True})
        req({"op": "reset", "session": r["session"]})
        req({"op": "close", "session": r["session"]})
        # Errors of several codes, each a stable message.
        req(None, raw=b"\xc1")
        req(None, raw=msgpack.packb([1, 2]))
        req({"op": "nope", "id": 3}, ok=False)
        req({"op": "hello", "protocol": 99}, ok=False)
        req({"op": "make", "env": "NoSuch-v0"}, ok=False)
        req({"op": "make", "env": "CartPole-v0", "colour": 1}, ok=False)
        req({"op": "make", "env": "CartPole-v0", "faults": [{"kind": "noise", "sigma": -1}]},
            ok=False)
        req({"op": "make", "env": "CartPoleContinuous-v0",
             "guardrails": {"actuators": {"*": {"bounds": "zero"}}}}, ok=False)
        req({"op": "make", "scene": "{\"format\": 1"}, ok=False)
        req({"op": "step", "session": 12345, "actions": arr("int32", [1], bytes(4))},
            ok=False)
        r = req({"op": "make", "env": "CartPole-v0"})
        s = r["session"]
        req({"op": "step", "session": s, "actions": arr("int32", [1], bytes(4))}, ok=False)
        req({"op": "reset", "session": s, "seed": -1}, ok=False)
        req({"op": "reset", "session": s})
        req({"op": "step", "session": s, "actions": arr("float32", [1], bytes(4))}, ok=False)
        req({"op": "step", "session": s, "actions": arr("int32", [1], b"\5\0\0\0")}, ok=False)
        req({"op": "render", "session": s, "width": 0}, ok=False)
        bad_requests(req, arr, s)
        st = req({"op": "stats"})
        instance = st.get("instance")
    finally:
        sock.close()
        ctx.term()
        srv.terminate()
        srv.wait()
    with open(out, "wb") as f:
        for data in replies:
            if instance:
                data = data.replace(instance.encode(), b"INSTANCE")
            f.write(len(data).to_bytes(4, "little") + data)
    return instance


def bad_requests(req, arr, s):
    """Several bad requests per op, some with two faults: which one a reply names is the order
    in which the server checks a request (docs/PROTOCOL.md). `s` is a reset one-env CartPole."""
    i32 = arr("int32", [1], bytes(4))
    for op in ("ping", "stats"):
        req({"op": op, "extra": 1}, ok=False)
    req({"op": "hello"}, ok=False)
    req({"op": "hello", "protocol": "1"}, ok=False)
    req({"op": "hello", "protocol": 1, "client": 5}, ok=False)
    req({"op": "hello", "protocol": 2, "client": 5}, ok=False)
    makes = [{"env": "CartPole-v0", "scene": "{}"}, {"scene": 5}, {"env": 5}, {},
             {"env": "CartPole-v0", "num_envs": 0}, {"env": "CartPole-v0", "seed": -1},
             {"env": "CartPole-v0", "max_steps": -2}, {"env": "CartPole-v0", "autoreset": 1},
             {"env": "CartPole-v0", "autoreset": "never"}, {"env": "CartPole-v0", "hashes": 1},
             {"env": "CartPole-v0", "resume": "yes"},
             {"env": "CartPole-v0", "observation": {"type": "x"}},
             {"env": "CartPole-v0", "observation": 3},
             {"env": "CartPole-v0", "num_envs": 2, "seed": 2**64 - 1},
             {"env": "NoSuch-v0", "num_envs": 0}, {"env": "CartPole-v0", "num_envs": 0,
                                                    "autoreset": "never"},
             {"env": "CartPole-v0", "colour": 1, "num_envs": 0},
             {"scene": "{\"format\": 1", "num_envs": 0}, {"scene": "{}", "colour": 1},
             {"env": "CartPole-v0", "seed": 2**64 - 1, "num_envs": 2, "autoreset": "x"},
             {"env": "CartPole-v0", "faults": 3}, {"env": "CartPole-v0", "guardrails": 3,
                                                   "faults": 3},
             {"env": "CartPole-v0", "record": 3}, {"env": "CartPole-v0", "info": 3}]
    for m in makes:
        req(dict(op="make", **m), ok=False)
    for key in ("close", "reset", "step", "render", "send", "recv"):
        req({"op": key}, ok=False)
        req({"op": key, "session": "x"}, ok=False)
        req({"op": key, "session": -1}, ok=False)
        req({"op": key, "session": 12345, "colour": 1}, ok=False)
        req({"op": key, "session": s, "colour": 1}, ok=False)
    # step, one env: the session before seq, seq before actions, actions before active.
    steps = [{"session": 12345, "seq": "a"}, {"session": s, "seq": "a", "actions": 3},
             {"session": s, "seq": -1}, {"session": s}, {"session": s, "actions": 3},
             {"session": s, "actions": {"dtype": "int32"}},
             {"session": s, "actions": arr("int16", [1], bytes(2))},
             {"session": s, "actions": arr("int32", [2], bytes(8))},
             {"session": s, "actions": arr("int32", [2], bytes(8)), "active": 3},
             {"session": s, "actions": arr("int32", [1], b"\7" + bytes(3)), "active": 3},
             {"session": s, "actions": i32, "active": 3},
             {"session": s, "actions": i32, "active": arr("uint8", [2], b"\2\1")},
             {"session": s, "actions": i32, "active": arr("int32", [1], bytes(4))},
             {"session": s, "actions": i32, "active": arr("uint8", [1], b"\2")},
             {"session": s, "actions": 3, "active": arr("uint8", [1], b"\2")}]
    for m in steps:
        req(dict(op="step", **m), ok=False)
    req({"op": "step", "session": s, "actions": i32, "seq": 5})
    req({"op": "step", "session": s, "actions": i32, "seq": 3}, ok=False)
    req({"op": "step", "session": s, "actions": 3, "seq": 4}, ok=False)
    # A resend of an answered seq is answered from the kept reply, whatever else it carries.
    req({"op": "step", "session": s, "actions": 3, "seq": 5, "active": 9})
    req({"op": "step", "session": s, "actions": i32, "seq": 5})
    req({"op": "step", "session": s, "actions": arr("int32", [1], b"\5" + bytes(3)), "seq": 6},
        ok=False)
    # reset and render on a two-env session, before and after its first reset.
    t = req({"op": "make", "env": "CartPole-v0", "num_envs": 2, "seed": 3})["session"]
    u8 = arr("uint8", [2], b"\1\0")
    for m in [{"mask": u8}, {"mask": u8, "seed": "x"}, {"seed": 2**64 - 1},
              {"seed": [1, 2, 3]}, {"seed": [1, -1]}, {"seed": [1, "a"]}, {"seed": 1.5},
              {"seed": -3}, {"seed": 1, "restore": []}, {"restore": [[1, 2, 3, 4, 5]]},
              {"restore": 3}, {"restore": [[1, 2, 3, 4, 5], [1, 0, 0, 0, 0]]},
              {"restore": [[1, 2, 3, 4, 5], [1, 2, 3]]}, {"restore": [[1, 2, 3, 4, 5], 7]},
              {"restore": [[1, 2, 3, 4, 5], [1, -2, 3, 4, 5]], "mask": 3},
              {"mask": 3}, {"mask": arr("uint8", [3], bytes(3))},
              {"mask": arr("uint8", [2], b"\2\0")}, {"mask": arr("uint8", [3], b"\2\0\0")},
              {"mask": arr("int32", [2], bytes(8))}, {"options": 3}, {"options": {"x": 1}},
              {"options": 3, "mask": 3}, {"seed": [1, "a"], "mask": 3}]:
        req(dict(op="reset", session=t, **m), ok=False)
    for m in [{}, {"envs": [0], "width": 0}, {"envs": []}, {"envs": ["a"]}, {"envs": [2]},
              {"envs": [0, -1]}, {"envs": list(range(65))}, {"envs": 1}, {"width": "w"},
              {"height": 5000}, {"envs": [9], "width": 0}, {"width": 4096, "height": 4096},
              {"envs": [0, 1], "height": 0}]:
        req(dict(op="render", session=t, **m), ok=False)
    req({"op": "step", "session": t, "actions": arr("int32", [2], bytes(8))}, ok=False)
    req({"op": "reset", "session": t})
    req({"op": "render", "session": t, "envs": [0, 1], "width": 4096, "height": 4096}, ok=False)
    # send and recv on the same session.
    for m in [{"actions": arr("int32", [1], bytes(4))}, {"env_ids": 3},
              {"env_ids": arr("int32", [3], bytes(12))}, {"env_ids": arr("int32", [1], b"\7")},
              {"env_ids": arr("int32", [1], b"\7" + bytes(3))},
              {"env_ids": arr("int32", [2], bytes(8))},
              {"env_ids": arr("int32", [1], bytes(4))},
              {"env_ids": arr("int32", [1], bytes(4)), "actions": 3},
              {"env_ids": arr("int32", [1], bytes(4)), "actions": arr("int32", [2], bytes(8))},
              {"env_ids": arr("int32", [1], bytes(4)), "actions": i32, "batch_size": 0},
              {"env_ids": arr("int32", [1], bytes(4)), "actions": i32, "batch_size": "x"},
              {"env_ids": arr("int32", [1], bytes(4)), "actions": i32, "batch_size": 2},
              {"env_ids": 3, "batch_size": "x"}, {"env_ids": arr("int32", [1], b"\7" + bytes(3)),
                                                  "actions": 3}]:
        req(dict(op="send", session=t, **m), ok=False)
    for m in [{"batch_size": 0}, {"batch_size": 3}, {"batch_size": "x"}, {}]:
        req(dict(op="recv", session=t, **m), ok=False)
    req({"op": "send", "session": t, "env_ids": arr("int32", [1], bytes(4)), "actions": i32})
    req({"op": "step", "session": t, "actions": arr("int32", [2], bytes(8))}, ok=False)
    req({"op": "reset", "session": t, "seed": "x"}, ok=False)
    req({"op": "render", "session": t, "width": 0}, ok=False)
    req({"op": "send", "session": t, "env_ids": arr("int32", [1], bytes(4)), "actions": i32},
        ok=False)
    req({"op": "recv", "session": t, "batch_size": 2}, ok=False)
    req({"op": "recv", "session": t, "batch_size": 1})
    req({"op": "close", "session": t})
    req({"op": "close", "session": t}, ok=False)


def capture(bin_dir, out):
    sandpit = os.path.join(bin_dir, "sandpit")
    golden = os.path.join(bin_dir, "golden_hashes")
    global OUT
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    OUT = out
    run([golden, "--write", "golden.tsv", "--record", "golden-replays"])
    run([sandpit, "envs"], f"{out}/envs.txt")
    run([sandpit, "envs", "--json"], f"{out}/envs.json")
    for i, env in enumerate(ENVS):
        extra = ["--record-obs"] if i % 2 else []
        run([sandpit, "rollout", "--env", env, "--seed", str(i + 1), "--episodes", "2",
             "--json", "--record", "rollout"] + extra, f"{out}/rollout-{env}.json")
    scene = os.path.join(ROOT, "assets/scenes/lander.json")
    run([sandpit, "rollout", "--scene", scene, "--seed", "3", "--episodes", "2", "--json",
         "--policy", "random", "--record", "rollout"], f"{out}/rollout-scene.json")
    run([sandpit, "scene", "check", scene], f"{out}/scene-check.txt")
    run([sandpit, "scene", "check", os.path.join(ROOT, "assets/suites/README.md")],
        f"{out}/scene-check-bad.txt", ok=(1, 2))
    run([sandpit, "scene", "render", scene, "--out", "scene.png"])
    with tempfile.TemporaryDirectory() as tmp:
        instance = wire_session(sandpit, f"{out}/wire.bin", tmp)
        rec = os.path.join(tmp, "rec")
        os.makedirs(f"{out}/wire-replays")
        for name in sorted(os.listdir(rec)):
            shutil.copy(os.path.join(rec, name),
                        f"{out}/wire-replays/{name.replace(instance or '@@', 'INSTANCE')}")
    replays = []
    for d in ("golden-replays", "rollout", "wire-replays"):
        for name in sorted(os.listdir(f"{out}/{d}")):
            replays.append(f"{d}/{name}")
    os.makedirs(f"{out}/replay-cli")
    for path in replays:
        tag = os.path.basename(os.path.dirname(path)) + "-" + os.path.basename(path)
        run([sandpit, "replay", "info", "--json", path], f"{out}/replay-cli/{tag}.info.json")
        run([sandpit, "replay", "verify", path], f"{out}/replay-cli/{tag}.verify", ok=(0, 1))
    first = sorted(p for p in replays if p.startswith("rollout/"))[0]
    for k in ("a", "b"):
        run([sandpit, "replay", "export", first, "--frames", f"frames-{k}", "--every", "7",
             "--gif", f"export-{k}.gif", "--size", "160x120", "--quiet"])
    stable = filecmp_dirs(f"{out}/frames-a", f"{out}/frames-b") and \
        open(f"{out}/export-a.gif", "rb").read() == open(f"{out}/export-b.gif", "rb").read()
    if not stable:
        sys.exit("export wrote different bytes for the same replay twice")
    shutil.rmtree(f"{out}/frames-b")
    os.remove(f"{out}/export-b.gif")
    print(f"captured {sum(len(f) for _, _, f in os.walk(out))} files into {out}")


def filecmp_dirs(a, b):
    names = sorted(os.listdir(a))
    if names != sorted(os.listdir(b)):
        return False
    return all(open(f"{a}/{n}", "rb").read() == open(f"{b}/{n}", "rb").read() for n in names)


def image_pixels(path):
    from PIL import Image, ImageSequence

    with Image.open(path) as im:
        return [(f.size, f.convert("RGB").tobytes()) for f in ImageSequence.Iterator(im)]


def compare(base, new):
    def files(root):
        return sorted(os.path.relpath(os.path.join(d, f), root)
                      for d, _, fs in os.walk(root) for f in fs)

    a, b = files(base), files(new)
    bad = [f"only in {base}: {f}" for f in sorted(set(a) - set(b))]
    bad += [f"only in {new}: {f}" for f in sorted(set(b) - set(a))]
    same = pixels = 0
    for f in sorted(set(a) & set(b)):
        x = open(os.path.join(base, f), "rb").read()
        y = open(os.path.join(new, f), "rb").read()
        if x == y:
            same += 1
        elif f.endswith((".png", ".gif")) and image_pixels(os.path.join(base, f)) == \
                image_pixels(os.path.join(new, f)):
            pixels += 1
        else:
            bad.append(f"differs: {f} ({hashlib.sha256(x).hexdigest()[:12]} vs "
                       f"{hashlib.sha256(y).hexdigest()[:12]})")
    print(f"{same} files byte-identical, {pixels} images with identical pixels "
          f"(other compressed bytes), {len(bad)} differences")
    for line in bad:
        print("  " + line)
    return 1 if bad else 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "capture":
        capture(os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
