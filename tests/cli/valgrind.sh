#!/usr/bin/env bash
# valgrind memcheck on one rollout of each env: no invalid access, no leak.
set -euo pipefail
bin=${1:?usage: valgrind.sh SANDPIT_BIN}
ids=$("$bin" envs --json | python3 -c 'import json,sys; print(" ".join(e["id"] for e in json.load(sys.stdin)))')
fail=0
for id in $ids; do
  if valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible \
      --errors-for-leak-kinds=definite,indirect,possible \
      "$bin" rollout --env "$id" --seed 3 --episodes 2 > /dev/null 2> /tmp/sp_valgrind_$$.log; then
    echo "ok   $id"
  else
    echo "FAIL $id"; cat /tmp/sp_valgrind_$$.log; fail=1
  fi
done
rm -f /tmp/sp_valgrind_$$.log
exit $fail
