#!/usr/bin/env bash
# valgrind memcheck on recording, verifying and inspecting replays of each env, and on a
# damaged file: no invalid access, no leak.
set -uo pipefail
bin=${1:?usage: valgrind_replay.sh SANDPIT_BIN}
work=$(mktemp -d /tmp/sp_valgrind_replay.XXXXXX)
trap 'rm -rf "$work"' EXIT
ids=$("$bin" envs --json | python3 -c 'import json,sys; print(" ".join(e["id"] for e in json.load(sys.stdin)))')
vg=(valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible)
fail=0
check() { # check NAME ARGS...: fails only on a valgrind error (exit 99), not on a verdict
  local name=$1; shift
  "${vg[@]}" "$bin" "$@" > /dev/null 2> "$work/log"
  if [ $? -eq 99 ]; then echo "FAIL $name"; cat "$work/log"; fail=1; else echo "ok   $name"; fi
}
for id in $ids; do
  check "$id record" rollout --env "$id" --seed 3 --episodes 2 --record "$work/$id" --record-obs
  check "$id verify" replay verify "$work/$id"/*.sprp
  check "$id info" replay info --json "$work/$id/$id-s3-000000.sprp"
done
f=$(ls "$work"/CartPole-v0/*.sprp | head -1)
python3 -c "import sys; d = bytearray(open(sys.argv[1], 'rb').read()); d[len(d) // 2] ^= 0xFF; open(sys.argv[2], 'wb').write(d)" "$f" "$work/bad.sprp"
head -c 500 "$f" > "$work/cut.sprp"
check "damaged verify" replay verify "$work/bad.sprp" "$work/cut.sprp" "$work/missing.sprp"
check "damaged info" replay info "$work/bad.sprp"
exit $fail
