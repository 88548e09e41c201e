#!/usr/bin/env bash
# Replays cross the architecture boundary both ways (docs/DETERMINISM.md): every golden
# episode (every env, seeds 0-9, both policies, bare and with every fault kind and tripping
# guardrails) is recorded by the emulated build and verified by the native one, and recorded by
# the native build and verified by the emulated one. Every file must verify. And `sandpit
# rollout` prints the same episodes, returns and hashes on both.
#   cross_arch.sh "EMULATOR ARGS" GOLDEN_HASHES SANDPIT PEER_BIN_DIR
set -uo pipefail
emulator=$1 golden=$2 sandpit=$3 peer=$4
work=$(mktemp -d /tmp/sp_cross_arch.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0

# $1: label; $2...: the verify command. Counts the OK lines against the files recorded.
check() {
    local label=$1 dir=$2; shift 2
    local files; files=$(find "$dir" -name '*.sprp' | wc -l)
    "$@" "$dir"/*.sprp > "$work/$label.out"
    local rc=$? ok; ok=$(grep -c '^OK ' "$work/$label.out")
    if [ "$rc" -eq 0 ] && [ "$files" -gt 0 ] && [ "$ok" -eq "$files" ]; then
        echo "ok   $label: $ok/$files replays verify"
    else
        echo "FAIL $label: $ok/$files replays verify (exit $rc)"
        grep -v '^OK ' "$work/$label.out" | head -20
        fail=1
    fi
}

# shellcheck disable=SC2086 # the emulator and its options are words
$emulator "$golden" --record "$work/emulated" > /dev/null || { echo "FAIL recording (emulated)"; exit 1; }
"$peer/golden_hashes" --record "$work/native" > /dev/null || { echo "FAIL recording (native)"; exit 1; }
check "recorded-emulated-verified-native" "$work/emulated" "$peer/sandpit" replay verify
# shellcheck disable=SC2086
check "recorded-native-verified-emulated" "$work/native" $emulator "$sandpit" replay verify

for env in $("$peer/sandpit" envs --json | python3 -c 'import json,sys; print(" ".join(e["id"] for e in json.load(sys.stdin)))'); do
    # shellcheck disable=SC2086
    if diff <("$peer/sandpit" rollout --env "$env" --seed 5 --episodes 3) \
            <($emulator "$sandpit" rollout --env "$env" --seed 5 --episodes 3); then
        echo "ok   rollout $env: the same on both"
    else
        echo "FAIL rollout $env differs"; fail=1
    fi
done
exit $fail
