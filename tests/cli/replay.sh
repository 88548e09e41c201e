#!/usr/bin/env bash
# Replays across processes: `sandpit rollout --record` writes the files in one process and
# `sandpit replay verify` checks them in another (with a different address layout), for every
# env; then damaged, cut, foreign and forged files each get their documented verdict and exit
# status (docs/REPLAY_FORMAT.md).
set -uo pipefail
bin=${1:?usage: replay.sh SANDPIT_BIN}
work=$(mktemp -d /tmp/sp_replay_cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0
ok()  { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

other_layout=(env SP_PAD="$(head -c 3000 /dev/zero | tr '\0' x)" MALLOC_TOP_PAD_=1048576 MALLOC_MMAP_THRESHOLD_=4096)
if setarch "$(uname -m)" -R true 2>/dev/null; then other_layout+=(setarch "$(uname -m)" -R); fi

# Byte surgery on replay files, with the format's own framing and CRCs.
edit() { python3 - "$@" <<'EOF'
import sys, zlib
def crc8(bs):
    c = 0
    for b in bs:
        c ^= b
        for _ in range(8):
            c = ((c << 1) ^ 0x07) & 0xFF if c & 0x80 else (c << 1) & 0xFF
    return c
def records(d):
    """(offset, kind, head_len, payload_len) of every record after the preamble."""
    out, p = [], 8
    while p < len(d):
        n, shift, q = 0, 0, p + 1
        while True:
            b = d[q]; q += 1
            n |= (b & 0x7F) << shift; shift += 7
            if not b & 0x80: break
        head = q + 1 - p
        out.append((p, chr(d[p]), head, n)); p += head + n + 4
    return out
op, path = sys.argv[1], sys.argv[2]
d = bytearray(open(path, 'rb').read())
recs = records(d)
if op == 'layout':          # record offsets, one per line: "index offset kind"
    for i, (o, k, h, n) in enumerate(recs): print(i, o, k)
    sys.exit(0)
if op == 'flip':            # flip ARG: byte offset
    d[int(sys.argv[3])] ^= 0xFF
elif op == 'cut':           # cut ARG: keep that many bytes
    d = d[:int(sys.argv[3])]
elif op == 'env_version':   # bump the header's env_version and reseal the header
    at = d.index(b'env_version') + len('env_version'); d[at] += 1
    o, k, h, n = recs[0]; end = o + h + n
    d[end:end + 4] = zlib.crc32(bytes(d[:end])).to_bytes(4, 'little')
elif op == 'action':        # action STEP: the other discrete action, CRC recomputed
    o, k, h, n = recs[1 + int(sys.argv[3])]; assert k == 'S'
    d[o + h + 1 + 8 + 8] ^= 1
    d[o + h + n:o + h + n + 4] = zlib.crc32(bytes(d[o:o + h + n])).to_bytes(4, 'little')
open(sys.argv[-1] if op != 'layout' else path, 'wb').write(bytes(d))
EOF
}

ids=$("$bin" envs --json | python3 -c 'import json,sys; print(" ".join(e["id"] for e in json.load(sys.stdin)))')

# 1. Record in one process, verify in another, for every env; steps and hashes agree with what
#    the recording process printed.
i=0
for id in $ids; do
  dir=$work/rec/$id
  obs=(); [ $((i % 2)) -eq 1 ] && obs=(--record-obs); i=$((i + 1))
  out=$("$bin" rollout --env "$id" --seed 17 --episodes 4 --record "$dir" "${obs[@]}") || { bad "$id: rollout --record failed"; continue; }
  files=("$dir"/*.sprp)
  [ ${#files[@]} -eq 4 ] || { bad "$id: ${#files[@]} files, want 4"; continue; }
  ver=$("${other_layout[@]}" "$bin" replay verify "${files[@]}"); rc=$?
  if [ $rc -ne 0 ] || [ "$(grep -c '^OK ' <<<"$ver")" -ne 4 ]; then bad "$id: verify exit $rc: $ver"; continue; fi
  # rollout prints "... steps N return R REASON hash H"; verify "OK FILE N steps".
  want_steps=$(awk '{print $7}' <<<"$out" | tr '\n' ' ')
  got_steps=$(awk '{print $3}' <<<"$ver" | tr '\n' ' ')
  want_hash=$(awk '{print $NF}' <<<"$out" | tr '\n' ' ')
  got_hash=$(for f in "${files[@]}"; do "$bin" replay info --json "$f" | python3 -c 'import json,sys; print(json.load(sys.stdin)["final_hash"])'; done | tr '\n' ' ')
  if [ "$want_steps" != "$got_steps" ]; then bad "$id: steps $got_steps, rollout printed $want_steps"
  elif [ "$want_hash" != "$got_hash" ]; then bad "$id: hashes $got_hash, rollout printed $want_hash"
  else ok "$id: 4 episodes recorded, verified in a fresh process (steps $want_steps)"; fi
done

# The rest works on one CartPole-v0 file.
dir=$work/rec/CartPole-v0
file=$dir/CartPole-v0-s17-000000.sprp
layout=$(edit layout "$file")
nrec=$(wc -l <<<"$layout")
off() { awk -v k="$1" '$1 == k {print $2}' <<<"$layout"; }
size=$(stat -c %s "$file")

# expect STATUS WANT_IN_OUTPUT FILE...: `replay verify` exits STATUS and prints WANT.
expect() {
  local status=$1 want=$2; shift 2
  local out rc
  out=$("$bin" replay verify "$@" 2>&1); rc=$?
  if [ $rc -ne "$status" ] || ! grep -qF -- "$want" <<<"$out"; then
    bad "verify $(basename "$1"): exit $rc, want $status and '$want': $out"
  else
    ok "verify $(basename "$1") -> exit $rc: $(head -1 <<<"$out" | cut -c1-150)"
  fi
}

# 2. One flipped byte: in the magic, the header payload, a step's payload, a step's CRC, the
#    footer. Each is named.
edit flip "$file" 1 "$work/magic.sprp";           expect 2 "UNREADABLE" "$work/magic.sprp"
edit flip "$file" 40 "$work/header.sprp";         expect 1 "record 0 (header) at byte 8: checksum mismatch" "$work/header.sprp"
s3=$(off 4)
edit flip "$file" $((s3 + 12)) "$work/payload.sprp"; expect 1 "record 4 (step 3) at byte $s3: checksum mismatch" "$work/payload.sprp"
s5=$(off 6)
edit flip "$file" $((s5 + 25)) "$work/crc.sprp";  expect 1 "record 6 (step 5) at byte $s5: checksum mismatch" "$work/crc.sprp"
edit flip "$file" $((s5 + 1)) "$work/length.sprp"; expect 1 "record 6 (step 5) at byte $s5" "$work/length.sprp"
foot=$(off $((nrec - 1)))
edit flip "$file" $((foot + 10)) "$work/footer.sprp"; expect 1 "(footer) at byte $foot" "$work/footer.sprp"

# 3. Cut at random points: OK up to the last whole record; inside the header: unreadable.
head_end=$(off 1)
for cut in $(python3 -c "import random; r = random.Random(7); print(' '.join(str(r.randrange($head_end, $size)) for _ in range(12)))"); do
  whole=$(awk -v c="$cut" -v n="$nrec" '$1 >= 2 && $1 < n - 1 { end[$1] = 1 } { o[$1] = $2 } END { w = 0; for (k = 2; k < n - 1; k++) if (o[k + 1] <= c) w = k - 1; print w }' <<<"$layout")
  edit cut "$file" "$cut" "$work/cut.sprp"
  expect 0 "truncated file: verified $whole whole steps" "$work/cut.sprp"
done
edit cut "$file" 20 "$work/cut.sprp"; expect 2 "UNREADABLE" "$work/cut.sprp"

# 4. A different env version in a well-formed header: env mismatch, exit 2.
edit env_version "$file" "$work/version.sprp"; expect 2 "ENV_MISMATCH" "$work/version.sprp"
expect 2 "version 2 recorded, this build has version 1" "$work/version.sprp"

# 5. A forged action with a recomputed checksum: diverged at that step, both hashes.
edit action "$file" 4 "$work/forged.sprp"
expect 1 "DIVERGED $work/forged.sprp diverged at step 4: hash recorded" "$work/forged.sprp"
grep -qE 'recorded [0-9a-f]{16}, replayed [0-9a-f]{16}' <<<"$("$bin" replay verify "$work/forged.sprp")" \
  && ok "divergence shows both hashes" || bad "divergence lacks both hashes"
grep -qE "recorded by sandpit [0-9.]+ on $(uname -m) \(.+, math sp-[a-z0-9-]+\), replayed by sandpit [0-9.]+ on $(uname -m)" \
  <<<"$("$bin" replay verify "$work/forged.sprp")" \
  && ok "divergence names the recording and replaying builds" || bad "divergence lacks its context"

# 6. Several files: the worst status wins.
expect 1 "CORRUPT" "$file" "$work/payload.sprp"
expect 2 "UNREADABLE" "$file" "$work/payload.sprp" "$work/magic.sprp"

# 7. info, text and JSON; and its exit status on damaged files.
"$bin" replay info "$file" | grep -q "^state         complete" && ok "info text" || bad "info text"
"$bin" replay info --json "$file" | python3 -c 'import json,sys; d = json.load(sys.stdin); assert d["env"] == "CartPole-v0" and d["state"] == "complete" and d["config"] == {}' \
  && ok "info --json" || bad "info --json"
"$bin" replay info "$work/cut.sprp" >/dev/null 2>&1; [ $? -eq 2 ] && ok "info on a cut header: exit 2" || bad "info on a cut header"
"$bin" replay info "$work/payload.sprp" >/dev/null; [ $? -eq 1 ] && ok "info on a corrupt file: exit 1" || bad "info on a corrupt file"

# 8. Bad usage: one line on stderr, exit 2; recording never clobbers a kept file.
usage() {
  local want=$1; shift
  local err rc
  err=$("$bin" "$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -ne 2 ] || ! grep -qF -- "$want" <<<"$err"; then bad "sandpit $*: exit $rc: $err"; else ok "sandpit $* -> $err"; fi
}
usage "replay needs a subcommand" replay
usage "unknown subcommand 'play'" replay play
usage "replay verify needs at least one FILE" replay verify
usage "unknown option '--fast'" replay verify --fast "$file"
usage "replay info needs a FILE" replay info
usage "--record needs a value" rollout --env CartPole-v0 --record
usage "--record-obs needs --record DIR" rollout --env CartPole-v0 --record-obs
err=$("$bin" rollout --env CartPole-v0 --seed 17 --episodes 1 --record "$dir" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && grep -q "refusing to overwrite" <<<"$err" && ok "no overwrite: $err" || bad "overwrite: exit $rc: $err"

exit $fail
