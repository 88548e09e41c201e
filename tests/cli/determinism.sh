#!/usr/bin/env bash
# Determinism across processes: for every env, two separate `sandpit rollout` processes with
# the same seed print identical hashes, although their address layouts differ (the second runs
# with ASLR off where allowed, a different environment size and a different malloc layout);
# a different seed prints different hashes.
set -euo pipefail
bin=${1:?usage: determinism.sh SANDPIT_BIN}
ids=$("$bin" envs --json | python3 -c 'import json,sys; print(" ".join(e["id"] for e in json.load(sys.stdin)))')
other_layout=(env SP_PAD="$(head -c 3000 /dev/zero | tr '\0' x)" MALLOC_TOP_PAD_=1048576 MALLOC_MMAP_THRESHOLD_=4096)
if setarch "$(uname -m)" -R true 2>/dev/null; then other_layout+=(setarch "$(uname -m)" -R); fi
fail=0
for id in $ids; do
  a=$("$bin" rollout --env "$id" --seed 17 --episodes 5 --policy random)
  b=$("${other_layout[@]}" "$bin" rollout --env "$id" --seed 17 --episodes 5 --policy random)
  c=$("$bin" rollout --env "$id" --seed 18 --episodes 5 --policy random)
  if [ "$a" != "$b" ]; then
    echo "FAIL $id: same seed, different output across processes"; diff <(echo "$a") <(echo "$b") || true; fail=1
  elif [ "$(echo "$a" | awk '{print $NF}')" = "$(echo "$c" | awk '{print $NF}')" ]; then
    echo "FAIL $id: seeds 17 and 18 gave the same hashes"; fail=1
  else
    echo "ok   $id $(echo "$a" | head -1 | awk '{print $NF}')"
  fi
done
exit $fail
