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
