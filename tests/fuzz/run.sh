#!/usr/bin/env bash
# Runs a fuzzer for a bounded time on the committed seed corpus.
#   run.sh FUZZER SEED_CORPUS WORK_DIR SECONDS [DICTIONARY]
# New inputs go to WORK_DIR/corpus (never into the committed seeds); a crash leaves its input
# in WORK_DIR and fails the test. Prints libFuzzer's final stats line (executions, exec/s).
set -euo pipefail
fuzzer=$(realpath "$1") seeds=$(realpath "$2") work=$3 seconds=$4
dict=()
[ -n "${5:-}" ] && dict=(-dict="$(realpath "$5")")
mkdir -p "$work/corpus"
work=$(realpath "$work")
cd "$work"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
log=$work/fuzz.log
status=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 "${dict[@]}" \
  -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$seeds" > "$log" 2>&1 || status=$?
grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added)" "$log" || true
if [ "$status" -ne 0 ]; then
  tail -n 60 "$log"
  echo "$(basename "$fuzzer") failed (exit $status); inputs left in $work" >&2
fi
exit "$status"
