"""Scenes over the wire (docs/SCENES.md): catalogue scene files, inline scenes from the Python
builder, untrusted scenes refused with their path while the server keeps serving, memory
accounting, determinism across server processes, and replays that verify without the file."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import sandpit
from sandpit import ServerError, scene

REPO = Path(__file__).resolve().parents[2]
CARTPOLE_SCENE = REPO / "assets" / "scenes" / "cartpole.json"


def rover() -> scene.Scene:
    """A rover on generated rough ground with a lidar, touch feet and randomized start: most
    element kinds in one scene."""
    s = scene.Scene("Rover-v0", summary="drive right over rough ground", dt=0.01, frame_skip=2,
                    max_steps=200, bounds=[-30, -10, 60, 30])
    chassis = s.body("chassis", position=(0, 1.2), mass=4)
    chassis.box((1.2, 0.3), role="agent", group=1)
    for side, x in (("left", -0.5), ("right", 0.5)):
        s.body(f"wheel_{side}", position=(x, 0.9), mass=0.5).circle(0.3, role="agent", group=1,
                                                                      friction=1.5)
        s.joint("pivot", "chassis", f"wheel_{side}", name=f"axle_{side}", anchor_a=[x, -0.3],
                motor={"max_torque": 40})
        s.actuator(f"drive_{side}", "motor_speed", joint=f"axle_{side}", gain=-10, unit="rad/s")
    s.body("goal", type="static", position=(40, 2)).circle(0.5, role="goal", collide=False)
    s.sensor("chassis", "body", body="chassis", values=["x", "y", "angle", "vx", "upright"],
             wrap=True)
    s.sensor("goal", "distance", body="chassis", to="goal", values=["distance", "bearing"])
    s.sensor("imu", "imu", body="chassis", values=["ax", "ay", "gyro"])
    s.sensor("eye", "lidar", body="chassis", rays=8, fov=2.0, range=8.0, mask=2)
    s.sensor("wheel_left", "touch", body="wheel_left", with_role="terrain")
    s.sensor("belly", "touch", body="chassis", with_role="terrain", hidden=True)
    s.reward("progress", 1.0, channel="chassis.x")
    s.reward("alive", 0.01)
    s.reward("action_cost", 0.001)
    s.terminate("flipped", "chassis.upright", below=-0.5)
    s.terminate("reached_goal", "goal.distance", below=1.0, reward=10.0)
    s.truncate("stuck", "chassis.vx", inside=[-0.01, 0.01], for_steps=150)
    s.constraint("belly_touch", "chassis.upright", outside=[0.5, 1.0])
    s.randomize("translate", [-0.5, 0.5], bodies=["chassis", "wheel_left", "wheel_right"],
                axis="x")
    s.randomize("mass", [0.8, 1.2], body="chassis")
    s.generator("terrain", "ground", style="rough", x=[-20, 60], y=0.0, segments=80,
                amplitude=0.15, categories=2)
    s.generator("scatter", "rocks", area=[5, 0.2, 55, 0.4], count=10, size=0.3, categories=2)
    return s


def run(env, seed: int, steps: int, action_seed: int = 0):
    """Hashes, rewards and the end reason of one seeded rollout with seeded random actions."""
    env.action_space.seed(action_seed)
    _, info = env.reset(seed=seed)
    hashes, rewards, reason = [info.get("hash")], [], None
    for _ in range(steps):
        _, r, term, trunc, info = env.step(env.action_space.sample())
        hashes.append(info.get("hash"))
        rewards.append(r)
        if term or trunc:
            reason = info.get("reason")
            break
    return hashes, rewards, reason


def test_catalogue_lists_the_scene_files(hello):
    ids = [e["id"] for e in hello["envs"]]
    assert {"CartPoleScene-v0", "LanderScene-v0", "CartPole-v0"} <= set(ids)


def test_builder_file_server_spec_round_trip(endpoint, tmp_path):
    s = rover()
    path = tmp_path / "rover.json"
    s.save(path)
    assert scene.Scene.load(path).to_dict() == s.to_dict() == json.loads(path.read_text())
    env = sandpit.make(scene=str(path), endpoint=endpoint, seed=1)
    spec = env.unwrapped._session.spec
    assert spec["id"] == "Rover-v0"
    names = spec["observation"]["names"]
    assert names[:7] == ["chassis.x", "chassis.y", "chassis.angle", "chassis.vx",
                         "chassis.upright", "goal.distance", "goal.bearing"]
    assert names[10:18] == [f"eye.{i}" for i in range(8)]
    assert names[-1] == "wheel_left.touch" and "belly.touch" not in names
    assert spec["action"]["kind"] == "continuous"
    assert spec["action"]["names"] == ["drive_left", "drive_right"]
    assert env.observation_space.high[names.index("eye.3")] == pytest.approx(8.0)
    obs, _ = env.reset(seed=2)
    assert obs.shape == (19,) and np.all(np.isfinite(obs))
    _, rewards, _ = run(env, 2, 50)
    assert len(rewards) == 50 and all(np.isfinite(rewards))
    env.close()
    # The same scene as a dict and as a builder object: the same episodes.
    a = sandpit.make(scene=s, endpoint=endpoint, hashes=True)
    b = sandpit.make(scene=s.to_dict(), endpoint=endpoint, hashes=True)
    assert run(a, 5, 60) == run(b, 5, 60)
    a.close()
    b.close()


@pytest.mark.parametrize("c_id,path", [("CartPole-v0", CARTPOLE_SCENE),
                                       ("Lander-v0", REPO / "assets" / "scenes" / "lander.json")])
def test_inline_scene_matches_the_c_env(endpoint, c_id, path):
    c_env = sandpit.make(c_id, endpoint)
    s_env = sandpit.make(scene=path, endpoint=endpoint)
    for seed in range(10):
        _, rc, reason_c = run(c_env, seed, 1000, action_seed=seed)
        _, rs, reason_s = run(s_env, seed, 1000, action_seed=seed)
        assert rc == rs and reason_c == reason_s
    c_env.close()
    s_env.close()


BAD = [
    ({"bodies": [{"name": "b", "shapes": [{"type": "circle", "radius": -1}]}]},
     "bodies[0].shapes[0].radius: must be"),
    ({"bodies": [{"name": "b", "shapes": [{"type": "circle", "radius": "1"}]}]},
     "bodies[0].shapes[0].radius: must be a number"),
    ({"bodies": [{"name": "b", "position": [0, 1e12]}]}, "bodies[0].position[1]: must be finite"),
    ({"bodies": [{"name": f"b{i}"} for i in range(300)]}, "bodies: has 300 items; the limit is 256"),
    ({"bodies": [{"name": "b", "shapes": [{"type": "polygon",
                                           "points": [[i, i * i] for i in range(100)]}]}]},
     "bodies[0].shapes[0].points: has 100 items; the limit is 64"),
    ({"world": {"dt": 5}}, "world.dt: must be in"),
    ({"world": {"max_steps": 1.5}}, "world.max_steps: must be an integer"),
    ({"sensors": [{"name": f"e{i}", "type": "lidar", "body": "b", "rays": 64} for i in range(2)]},
     "sensors[1]: the scene has more than 64 observed channels"),
    ({"generators": [{"type": "maze", "name": "m", "cols": 500, "rows": 500, "cell": 1}]},
     "generators[0]: adds up to"),
    ({"generators": [{"type": "terrain", "name": "t", "style": "rough", "x": [0, 1],
                      "segments": 90000}]}, "generators[0]: adds up to"),
    ({"joints": [{"type": "pivot", "a": "b", "b": "b"}]}, "joints[0].b: must differ from a"),
    ({"format": 9}, "format: is 9"),
]


def base_doc() -> dict:
    return {"format": 1, "id": "Bad-v0", "world": {},
            "bodies": [{"name": "b", "shapes": [{"type": "circle", "radius": 0.5}]}],
            "actuators": [{"name": "p", "type": "thruster", "body": "b"}],
            "sensors": [{"name": "b", "type": "body", "body": "b", "values": ["x"]}]}


@pytest.mark.parametrize("patch,want", BAD, ids=[w.split(":")[0] for _, w in BAD])
def test_bad_scenes_are_refused_with_their_path(endpoint, patch, want):
    doc = base_doc()
    doc.update(patch)
    with pytest.raises(ServerError) as e:
        sandpit.make(scene=doc, endpoint=endpoint)
    assert e.value.code == "bad_scene" and want in e.value.message, e.value.message


def test_malformed_and_hostile_scenes_leave_the_server_serving(endpoint, raw):
    cases = [
        ("{", "bad_scene"),                                   # not JSON
        ('{"format": 1, "format": 1}', "bad_scene"),          # duplicate key
        ('{"format": NaN}', "bad_scene"),                     # no NaN in JSON
        ('{"format": 1e999}', "bad_scene"),                   # past double range
        ("[" * 100000 + "]" * 100000, "bad_scene"),           # a nesting bomb
        ("\x00" * 10, "bad_scene"),
    ]
    for text, code in cases:
        reply = raw.call({"op": "make", "scene": text})
        assert reply["ok"] is False and reply["error"]["code"] == code, (text[:20], reply)
    reply = raw.call({"op": "make", "scene": {"format": 1}})
    assert reply["error"]["code"] == "bad_request" and "JSON text" in reply["error"]["message"]
    reply = raw.call({"op": "make", "env": "CartPole-v0", "scene": "{}"})
    assert reply["error"]["code"] == "bad_request"
    # Still serving: a scene and a C env.
    env = sandpit.make(scene=CARTPOLE_SCENE, endpoint=endpoint)
    env.reset(seed=0)
    env.step(0)
    env.close()
    assert raw.call({"op": "make", "env": "CartPole-v0"})["ok"] is True


def test_scene_memory_counts_against_the_ceiling(server_factory):
    srv = server_factory("--max-memory-mb", "16")
    big = base_doc()
    big["bodies"] = [{"name": f"b{i}", "position": [i, 0],
                      "shapes": [{"type": "circle", "radius": 0.4}]} for i in range(200)]
    big["actuators"][0]["body"] = "b0"
    big["sensors"][0]["body"] = "b0"
    with pytest.raises(ServerError) as e:
        sandpit.make_vec(None, 20, srv.endpoint, scene=big)
    assert e.value.code == "limit_exceeded" and "memory ceiling" in e.value.message
    # The same number of envs of a C env fits: the scene's bodies are what was counted.
    ok = sandpit.make_vec("CartPole-v0", 20, srv.endpoint)
    ok.close()


def test_scene_envs_are_deterministic_across_processes(server_factory):
    results = []
    for _ in range(2):
        srv = server_factory()
        env = sandpit.make(scene=rover(), endpoint=srv.endpoint, hashes=True)
        results.append([run(env, seed, 80, action_seed=seed) for seed in (0, 1, 2)])
        env.close()
    assert results[0] == results[1]
    hashes = [r[0] for r in results[0]]
    assert len({h[0] for h in hashes}) == 3  # generators and randomization follow the seed


def test_scene_replays_verify_without_the_scene_file(endpoint, tmp_path):
    env = sandpit.make(scene=rover(), endpoint=endpoint, seed=4, max_steps=40, record=tmp_path)
    for _ in range(2):
        run(env, None, 40)
    env.close()
    files = sorted(tmp_path.glob("*.sprp"))
    assert len(files) == 2
    out = subprocess.run([os.environ["SANDPIT_BIN"], "replay", "verify", *map(str, files)],
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "SANDPIT_SCENES_DIR": ""})
    assert out.returncode == 0 and out.stdout.count("OK ") == 2, out.stdout + out.stderr


SCHEMA = REPO / "docs" / "scene.schema.json"


def _schema_objects(node, out):
    """Every object schema's property-name set, anywhere in the schema."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            out.append(frozenset(node["properties"]))
        for v in node.values():
            _schema_objects(v, out)
    elif isinstance(node, list):
        for v in node:
            _schema_objects(v, out)
    return out


def test_the_json_schema_accepts_the_scenes_and_agrees_with_the_decoder():
    import re

    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    docs = [json.loads(p.read_text()) for p in sorted((REPO / "assets" / "scenes").glob("*.json"))]
    docs.append(rover().to_dict())
    for d in docs:
        validator.validate(d)
    typo = rover().to_dict()
    typo["bodies"][0]["shapes"][0]["colour"] = 1
    assert not validator.is_valid(typo)
    # Every key list the C decoder accepts is one object of the schema, and back.
    known = []
    for src in sorted((REPO / "envs" / "scene").glob("*.c")):
        for body in re.findall(r"(?:keys|mkeys)\[\] = \{(.*?)\};", src.read_text(), re.S):
            known.append(frozenset(re.findall(r'"([a-z_]+)"', body)))
    in_schema = set(_schema_objects(schema, []))
    assert known and set(known) == in_schema, (set(known) ^ in_schema)


def test_scene_batches_are_the_same_on_one_thread_and_two(server_factory):
    """Many scene envs in one session, stepped by the server's thread pool."""
    runs = []
    for threads in ("1", "2"):
        srv = server_factory("--threads", threads)
        envs = sandpit.make_vec(None, 32, srv.endpoint, scene=rover(), seed=9, hashes=True)
        envs.action_space.seed(3)
        _, info = envs.reset(seed=9)
        hashes = [info["hash"].copy()]
        for _ in range(40):
            _, _, _, _, info = envs.step(envs.action_space.sample())
            hashes.append(info["hash"].copy())
        envs.close()
        runs.append(np.array(hashes))
    assert np.array_equal(runs[0], runs[1])
