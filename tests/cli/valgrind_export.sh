#!/usr/bin/env bash
# valgrind memcheck on `sandpit replay export` (PNG frames and GIF) of one episode of each env,
# then on `replay plot` and `replay report` of two of them: no invalid access, no uninitialised
# byte reaching a file, no leak.
set -euo pipefail
bin=${1:?usage: valgrind_export.sh SANDPIT_BIN}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ids=$("$bin" envs --json |
  python3 -c 'import json,sys; print(" ".join(e["id"] for e in json.load(sys.stdin)))')
fail=0
for id in $ids; do
  "$bin" rollout --env "$id" --seed 3 --record "$tmp/rec" > /dev/null
  file=$(ls "$tmp"/rec/"$id"-*.sprp)
  kinds=definite,indirect,possible
  if valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=$kinds \
      --errors-for-leak-kinds=$kinds \
      "$bin" replay export "$file" --frames "$tmp/f-$id" --gif "$tmp/$id.gif" --size 160x120 \
      --every 7 --quiet 2> "$tmp/log"; then
    echo "ok   $id"
  else
    echo "FAIL $id"; cat "$tmp/log"; fail=1
  fi
done
two=$(ls "$tmp"/rec/CartPole-v0-*.sprp "$tmp"/rec/LanderContinuous-v0-*.sprp)
for cmd in "plot $(echo "$two" | head -1) --against $(echo "$two" | tail -1) --out $tmp/p.png" \
    "report $(echo $two) --html $tmp/report --gif-size 160x120"; do
  if valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=$kinds \
      --errors-for-leak-kinds=$kinds "$bin" replay $cmd --quiet 2> "$tmp/log"; then
    echo "ok   replay ${cmd%% *}"
  else
    echo "FAIL replay ${cmd%% *}"; cat "$tmp/log"; fail=1
  fi
done
exit $fail
