#!/usr/bin/env bash
# `sandpit scene check|render`, `rollout --scene`, `serve --scenes`, and replays of scene
# episodes verified by another process without the scene file.
set -euo pipefail
bin=${1:?usage: scene.sh SANDPIT_BIN}
here=$(cd "$(dirname "$0")" && pwd)
scenes=$here/../../assets/scenes
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# check: the spec and a short rollout; a bad file names its path.
"$bin" scene check "$scenes/lander.json" > "$tmp/out" || fail "check lander.json"
grep -q "^ok: .*lander.json" "$tmp/out" || fail "check prints no ok line"
grep -q "hull.angle" "$tmp/out" || fail "check prints no spec"
"$bin" scene check "$scenes/cartpole.json" --json | python3 -c \
  'import json,sys; d=json.load(sys.stdin); assert d["spec"]["id"]=="CartPoleScene-v0" and d["rollout"]["steps"]>0' \
  || fail "check --json"
cat > "$tmp/bad.json" <<'JSON'
{"format": 1, "id": "Bad-v0", "world": {}, "bodies": [{"name": "b", "shapes": [{"type": "circle", "radius": 0}]}],
 "actuators": [{"name": "p", "type": "thruster", "body": "b"}], "sensors": []}
JSON
if "$bin" scene check "$tmp/bad.json" 2> "$tmp/err"; then fail "a bad scene passed check"; fi
grep -q "bad.json: bodies\[0\].shapes\[0\].radius: must be > 0" "$tmp/err" || { cat "$tmp/err"; fail "error path"; }
if "$bin" scene check "$tmp/missing.json" 2> /dev/null; then fail "a missing file passed"; fi

# render: the reset state in role colours (terrain grey, a goal green).
cat > "$tmp/goal.json" <<'JSON'
{"format": 1, "id": "Goal-v0", "world": {},
 "bodies": [{"name": "ball", "position": [0, 1], "shapes": [{"type": "circle", "radius": 0.3, "role": "agent"}]},
            {"name": "goal", "type": "static", "position": [2, 1], "shapes": [{"type": "circle", "radius": 0.5, "role": "goal"}]}],
 "generators": [{"type": "terrain", "name": "ground", "style": "stairs", "x": [-10, 10], "segments": 8}],
 "actuators": [{"name": "p", "type": "thruster", "body": "ball"}],
 "sensors": [{"name": "ball", "type": "body", "body": "ball", "values": ["x"]}]}
JSON
"$bin" scene render "$tmp/goal.json" --out "$tmp/goal.png" --width 320 --height 240 > /dev/null \
  || fail "render"
python3 "$here/imagecheck.py" png "$tmp/goal.png" --has 51,204,51 --has 153,153,153 > /dev/null \
  || fail "render lacks the goal or terrain colour"

# rollout --scene FILE is the catalogue scene of the same file, line for line.
"$bin" rollout --scene "$scenes/lander.json" --seed 4 --episodes 3 > "$tmp/file.txt"
"$bin" rollout --env LanderScene-v0 --seed 4 --episodes 3 > "$tmp/cat.txt"
cmp -s "$tmp/file.txt" "$tmp/cat.txt" || fail "rollout --scene differs from the catalogue env"

# Replays embed the scene: verify in a process that has neither the file nor the catalogue.
cp "$tmp/goal.json" "$tmp/moved.json"
"$bin" rollout --scene "$tmp/moved.json" --seed 1 --episodes 2 --record "$tmp/rec" > /dev/null
rm "$tmp/moved.json"
SANDPIT_SCENES_DIR= "$bin" replay verify "$tmp"/rec/*.sprp > "$tmp/verify" || { cat "$tmp/verify"; fail "verify"; }
[ "$(grep -c '^OK ' "$tmp/verify")" -eq 2 ] || fail "verify did not pass both files"
# A C env's replay after a scene's, in one verify: the C env is found by its id, not taken
# from the scene kept for the file before it.
"$bin" rollout --env Lander-v0 --seed 1 --episodes 1 --record "$tmp/rec2" > /dev/null
"$bin" replay verify "$tmp"/rec/*.sprp "$tmp"/rec2/*.sprp > "$tmp/verify2" \
  || { cat "$tmp/verify2"; fail "verify of a scene replay then a C env replay"; }

# serve --scenes: a bad file stops the server at start with its path.
mkdir "$tmp/dir" && cp "$tmp/bad.json" "$tmp/dir/"
if SANDPIT_SCENES_DIR= timeout 20 "$bin" serve --bind "ipc://$tmp/s.sock" --scenes "$tmp/dir" \
    > /dev/null 2> "$tmp/serve_err"; then
  fail "serve started with a bad scene"
fi
grep -q "dir/bad.json: bodies\[0\]" "$tmp/serve_err" || { cat "$tmp/serve_err"; fail "serve error"; }
echo "scene CLI: ok"
