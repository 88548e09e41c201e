#!/usr/bin/env bash
# Bad command-line input gets one clear line on stderr and exit status 2, never a crash.
set -uo pipefail
bin=${1:?usage: bad_input.sh SANDPIT_BIN}
fail=0
# expect_usage_error "stderr must contain" ARGS...
expect_usage_error() {
  local want=$1; shift
  local err rc
  err=$("$bin" "$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -ne 2 ] || ! grep -qF -- "$want" <<<"$err" || [ "$(wc -l <<<"$err")" -ne 1 ]; then
    echo "FAIL sandpit $*: exit $rc, stderr: $err"; fail=1
  else
    echo "ok   sandpit $* -> $err"
  fi
}
expect_usage_error "missing command (commands: envs, rollout"
expect_usage_error "unknown command 'fly'" fly
expect_usage_error "unknown env 'Nope-v0' (envs: CartPole-v0" rollout --env Nope-v0
expect_usage_error "rollout needs --env ID" rollout --seed 1
expect_usage_error "--env needs a value" rollout --env
expect_usage_error "--seed expects a non-negative integer" rollout --env CartPole-v0 --seed abc
expect_usage_error "--seed expects a non-negative integer" rollout --env CartPole-v0 --seed -1
expect_usage_error "--seed expects a non-negative integer" rollout --env CartPole-v0 --seed 1x
expect_usage_error "--seed expects a non-negative integer" rollout --env CartPole-v0 --seed 99999999999999999999999
expect_usage_error "--episodes expects an integer in [1," rollout --env CartPole-v0 --episodes 0
expect_usage_error "--episodes expects an integer in [1," rollout --env CartPole-v0 --episodes ""
expect_usage_error "--policy must be random or zero" rollout --env CartPole-v0 --policy smart
expect_usage_error "unknown option '--fast'" rollout --env CartPole-v0 --fast
expect_usage_error "unknown option '--xml'" envs --xml
exit $fail
