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
# Numbers are decimal: no hex, no octal.
expect_usage_error "--seed expects a non-negative integer" rollout --env CartPole-v0 --seed 0x10
# Options are read by getopt_long, with sandpit's one-line errors, in every command.
expect_usage_error "--json takes no value" envs --json=1
expect_usage_error "serve: unknown option '--nope' (see sandpit serve --help)" serve --nope
expect_usage_error "serve: unknown option 'extra'" serve extra
expect_usage_error "--threads needs a value" serve --threads
expect_usage_error "--threads expects an integer in [1," serve --threads 0
expect_usage_error "keygen: unknown option '--in'" keygen --in x
expect_usage_error "--out needs a value" keygen --out
expect_usage_error "replay info: unknown option '--xml'" replay info --xml f.sprp
expect_usage_error "replay info takes one FILE" replay info a.sprp b.sprp
expect_usage_error "replay info needs a FILE" replay info --json
expect_usage_error "replay verify needs at least one FILE" replay verify --
expect_usage_error "replay export: unknown option '--nope'" replay export --nope f.sprp
expect_usage_error "replay export: --gif needs a value" replay export f.sprp --gif
expect_usage_error "replay export: one FILE at a time" replay export a.sprp b.sprp --gif x.gif
exit $fail
