#!/usr/bin/env bash
# sandpit-view in a real X window under Xvfb, driven by its own --script (real SDL key and
# mouse events pushed onto SDL's queue):
#   - play, pause, seek by clicking the timeline (past the end: the last step), step keys:
#     `print` reports each state;
#   - the chart panel: a click on a chart seeks, `c` / shift+c page through the channels,
#     `p` hides it, --channels picks them (a glob), an unknown channel is refused;
#   - a screenshot read back from the renderer is not blank (several colours, the background,
#     the cart's and the pole's colours, the charts' line colours) and, below the HUD, is pixel
#     for pixel the frame `sandpit replay export` renders for the same step;
#   - two files side by side: the first step whose hashes differ is reported, and none for
#     a file against itself.
# Exits 77 (ctest SKIP_RETURN_CODE) only when no X server can be started here.
set -euo pipefail
bin=${1:?usage: viewer.sh SANDPIT_BIN SANDPIT_VIEW_BIN}
view=${2:?usage: viewer.sh SANDPIT_BIN SANDPIT_VIEW_BIN}
here=$(cd "$(dirname "$0")" && pwd)
check="python3 $here/imagecheck.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
die() {
  echo "FAIL: $*"
  for f in "$tmp"/out "$tmp"/err*; do [ ! -s "$f" ] || cat "$f"; done
  exit 1
}
steps_of() {
  "$bin" replay info --json "$1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["steps"])'
}
xrun() { xvfb-run -a "${screen[@]}" "$view" "$@"; }

if ! command -v xvfb-run >/dev/null; then
  echo "SKIP: xvfb-run is not installed (apt-get install xvfb)"; exit 77
fi
screen=(-s "-screen 0 1400x900x24")
if [ "$(xvfb-run -a "${screen[@]}" sh -c 'echo up' 2>"$tmp/xvfb.err")" != up ]; then
  echo "SKIP: Xvfb cannot start here:"; cat "$tmp/xvfb.err"; exit 77
fi
export SDL_VIDEODRIVER=x11 # a real window on the X server, never a dummy driver
# Under SP_SANITIZE: SDL's D-Bus and X11 libraries keep allocations past SDL_Quit, which
# LeakSanitizer reports as leaks of ours. Leaks in our own code are covered by the unit tests
# and the export test; memory errors are still fatal here.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

cart=255,153,51
pole=51,153,255
background=0,0,51

# Seeds 7 and 17 give random-policy episodes of 51 and 38 steps: room to play and seek.
"$bin" rollout --env CartPole-v0 --seed 7 --policy random --record "$tmp/rec" >/dev/null
"$bin" rollout --env CartPole-v0 --seed 17 --policy random --record "$tmp/rec" >/dev/null
a=$(ls "$tmp"/rec/*-s7-*.sprp)
b=$(ls "$tmp"/rec/*-s17-*.sprp)
steps=$(steps_of "$a")
target=$((steps * 2 / 3))
back=$((target - 3))
echo "recorded $steps steps; seeking to $target"

# Play at 1/8 speed for 20 frames (about 2 steps at 50 steps/s): far from the end even on a
# machine slow enough to take 5 s over them.
script="print;key [;key [;key [;play;wait 20;pause;key ];key ];key ];print;seek $target;print"
script+=";screenshot $tmp/shot.png"
script+=";key left;key left;key left;print;key shift+right;print;key end;print;key home;print"
script+=";key h;wait 2;screenshot $tmp/help.png;key h;drag 2 $target;print"
script+=";seek 100000;print;chart 5;print;key c;print;key c;print;key shift+c;print;key p;print"
script+=";chart 9;print;quit"
xrun "$a" --size 800x600 --script "$script" >"$tmp/out" 2>"$tmp/err" || die "sandpit-view exited $?"
cat "$tmp/out"
mapfile -t lines < <(grep '^step ' "$tmp/out")
expect() { # index, wanted line (a regex; the chart list after it is checked apart)
  [[ "${lines[$1]:-}" =~ ^$2( charts .*)$ ]] || die "print $1 is '${lines[$1]:-}', want '$2'"
}
charts_of() { echo "${lines[$1]:-}" | sed -n 's/.* charts //p'; }
expect 0 "step 0/$steps paused 1x"
expect 1 "step [0-9]+/$steps paused 1x"
played=$(echo "${lines[1]}" | awk '{split($2, s, "/"); print s[1]}')
[ "$played" -gt 0 ] && [ "$played" -lt "$steps" ] || die "20 frames at 1/8 speed: step $played"
expect 2 "step $target/$steps paused 1x"
expect 3 "step $back/$steps paused 1x"
expect 4 "step $(( back + 10 > steps ? steps : back + 10 ))/$steps paused 1x"
expect 5 "step $steps/$steps paused 1x"
expect 6 "step 0/$steps paused 1x"
expect 7 "step $target/$steps paused 1x"
expect 8 "step $steps/$steps paused 1x" # a seek past the end goes to the last step
expect 9 "step 5/$steps paused 1x"      # a click on a chart
[ "$(charts_of 9)" = "cart.x,cart.velocity,action" ] || die "default charts: $(charts_of 9)"
[ "$(charts_of 10)" = "reward,cost" ] || die "c: $(charts_of 10)"
[ "$(charts_of 11)" = "cart.x,cart.velocity,action" ] || die "c wraps: $(charts_of 11)"
[ "$(charts_of 12)" = "reward,cost" ] || die "shift+c: $(charts_of 12)"
[ "$(charts_of 13)" = "off" ] || die "p: $(charts_of 13)"
expect 14 "step 5/$steps paused 1x" # charts off: the click lands on the scene, no seek
grep -q "^screenshot $tmp/shot.png$" "$tmp/out"

# Not blank: the scene's colours are on screen, as the window presented them, and the charts'
# lines (what the agent saw, in blue).
$check png "$tmp/shot.png" --min-colors 6 --has $cart --has $pole --has $background --has 51,204,255
# The help overlay changes the picture.
! cmp -s "$tmp/shot.png" "$tmp/help.png" || die "help overlay not shown"
# Below the HUD (up to 8 lines of 2x-scaled 9-pixel text), the scene panel (800 x 346: the
# window less the timeline and the chart panel's two fifths) is exactly the exported frame.
"$bin" replay export "$a" --frames "$tmp/frames" --size 800x346 --quiet
$check same "$tmp/shot.png" "$tmp/frames/$(printf 'frame_%06d.png' "$target")" --rows 150:346

# --channels takes globs; a channel the env does not have is refused before any window opens.
xrun "$a" --channels 'pole.*,return' --script "print;quit" >"$tmp/out4" 2>"$tmp/err4" ||
  die "--channels"
grep -q "charts pole.angle,pole.angular_velocity,return$" "$tmp/out4" || die "--channels: $(cat "$tmp/out4")"

# Two files side by side: different seeds differ from the reset on; a file against itself
# never does.
xrun "$a" "$b" --script "seek 20;wait 2;screenshot $tmp/two.png;quit" 2>"$tmp/err2" >/dev/null ||
  die "two files"
grep -q "files differ from step 0" "$tmp/err2" || die "no difference reported"
$check png "$tmp/two.png" --has $cart --has $pole --has 255,0,255 # the marker at step 0
xrun "$a" "$a" --screenshot "$tmp/same.png" --after-frames 1 2>"$tmp/err3" >/dev/null
! grep -q "differ" "$tmp/err3" || die "a file differs from itself"

# Bad usage: exit 2 without opening a window.
set +e
"$view" 2>/dev/null; [ $? -eq 2 ] || die "no FILE should exit 2"
"$view" "$a" --script "jump 3" 2>/dev/null; [ $? -eq 2 ] || die "a bad script should exit 2"
"$view" "$tmp/none.sprp" 2>/dev/null; [ $? -eq 2 ] || die "a missing file should exit 2"
"$view" "$a" --channels nosuch 2>"$tmp/err5"; [ $? -eq 2 ] || die "an unknown channel should exit 2"
grep -q "no channel 'nosuch'" "$tmp/err5" || die "unknown channel message: $(cat "$tmp/err5")"
set -e
echo "ok viewer"
