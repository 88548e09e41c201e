#!/usr/bin/env bash
# Command-line numbers are decimal and options follow getopt_long: `--seed 010` is seed 10 (not
# octal 8), `--seed 09` is seed 9 (not refused), `--seed=N` and unambiguous prefixes work,
# options and operands go in any order. The viewer's options are read the same way.
set -uo pipefail
bin=${1:?usage: options.sh SANDPIT_BIN [SANDPIT_VIEW_BIN]}
view=${2:-}
fail=0
# same "what" ARGS_A -- ARGS_B: both rollouts print the same lines (and exit 0)
same() {
  local what=$1; shift
  local a=() b=()
  while [ "$1" != -- ]; do a+=("$1"); shift; done
  shift; b=("$@")
  local out_a out_b
  out_a=$("$bin" rollout "${a[@]}" 2>&1) || { echo "FAIL $what: ${a[*]}: $out_a"; fail=1; return; }
  out_b=$("$bin" rollout "${b[@]}" 2>&1) || { echo "FAIL $what: ${b[*]}: $out_b"; fail=1; return; }
  if [ "$out_a" != "$out_b" ]; then
    echo "FAIL $what: '${a[*]}' printed"; echo "$out_a"; echo "and '${b[*]}' printed"; echo "$out_b"
    fail=1
  else
    echo "ok   $what"
  fi
}
# has "text" ARGS: the rollout's output contains text
has() {
  local want=$1; shift
  local out
  out=$("$bin" rollout "$@" 2>&1)
  if [ $? -ne 0 ] || ! grep -qF -- "$want" <<<"$out"; then
    echo "FAIL rollout $*: wanted '$want', got: $out"; fail=1
  else
    echo "ok   rollout $* -> $want"
  fi
}
env=(--env CartPole-v0 --episodes 1)
has "seed 10 " "${env[@]}" --seed 010
has "seed 9 " "${env[@]}" --seed 09
has "seed 18446744073709551615 " "${env[@]}" --seed 18446744073709551615
same "a leading zero changes nothing" "${env[@]}" --seed 010 -- "${env[@]}" --seed 10
same "--seed=N is --seed N" "${env[@]}" --seed=7 -- "${env[@]}" --seed 7
same "options in any order" --seed 7 --episodes 2 --env CartPole-v0 -- \
  --env CartPole-v0 --seed 7 --episodes 2
same "an unambiguous prefix" --env CartPole-v0 --epi 2 --seed 3 -- \
  --env CartPole-v0 --episodes 2 --seed 3

if [ -n "$view" ]; then
  # Parsed before any window opens: no display is needed.
  view_usage_error() {
    local want=$1; shift
    local err rc
    err=$("$view" "$@" 2>&1 >/dev/null); rc=$?
    if [ $rc -ne 2 ] || ! grep -qF -- "$want" <<<"$err"; then
      echo "FAIL sandpit-view $*: exit $rc, stderr: $err"; fail=1
    else
      echo "ok   sandpit-view $* -> $(head -1 <<<"$err")"
    fi
  }
  view_usage_error "sandpit-view: --size needs a value" a.sprp --size
  view_usage_error "sandpit-view: unknown option '--bogus' (see --help)" --bogus a.sprp
  view_usage_error "sandpit-view: --after-frames must be an integer >= 0" a.sprp --after-frames=x
  view_usage_error "sandpit-view: --size must be WxH" --size=10x10 a.sprp
  view_usage_error "sandpit-view: at most 2 files" a.sprp b.sprp c.sprp
  view_usage_error "sandpit-view: missing FILE" --size 800x600
fi
exit $fail
