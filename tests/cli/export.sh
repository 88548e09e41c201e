#!/usr/bin/env bash
# `sandpit replay export`, headless: records a CartPole episode, exports it as PNG frames and a
# GIF, and decodes both with independent decoders (Python's zlib for PNG, Pillow for GIF,
# through tests/cli/imagecheck.py): one frame per step plus the reset, well-formed files, the
# cart's and the pole's colours in every frame. Also: the LZW stress file from test_draw, bad
# usage, and --video: through ffmpeg when it is installed, else a clear error, and always
# through a stand-in ffmpeg that checks what export pipes to it.
set -euo pipefail
bin=${1:?usage: export.sh SANDPIT_BIN TEST_DRAW_BIN}
test_draw=${2:?usage: export.sh SANDPIT_BIN TEST_DRAW_BIN}
here=$(cd "$(dirname "$0")" && pwd)
check="${SP_PYTHON:-python3} $here/imagecheck.py" # Pillow decodes the GIFs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset DISPLAY WAYLAND_DISPLAY # headless means headless
die() { echo "FAIL: $*"; [ ! -s "$tmp/err" ] || cat "$tmp/err"; exit 1; }
steps_of() {
  "$bin" replay info --json "$1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["steps"])'
}

# Colours from replay/draw/scene.c: shape 0 (the cart) orange, shape 1 (the pole) blue.
cart=255,153,51
pole=51,153,255
background=0,0,51

"$bin" rollout --env CartPole-v0 --seed 5 --policy random --record "$tmp/rec" >/dev/null
file=$(ls "$tmp"/rec/*.sprp)
steps=$(steps_of "$file")
echo "recorded $steps steps"

out=$("$bin" replay export "$file" --frames "$tmp/frames" --gif "$tmp/small.gif" --size 160x120)
echo "$out"
frames=$(ls "$tmp/frames" | wc -l)
[ "$frames" -eq $((steps + 1)) ] || die "$frames PNG frames for $steps steps (want steps + 1)"
[ -f "$tmp/frames/frame_000000.png" ] && [ -f "$tmp/frames/$(printf 'frame_%06d.png' "$steps")" ]
$check png "$tmp/frames/frame_000000.png" --has $cart --has $pole --has $background --min-colors 5
$check png "$tmp/frames/$(printf 'frame_%06d.png' "$steps")" --has $cart --has $pole
$check gif "$tmp/small.gif" --frames $((steps + 1)) --has $cart --has $pole --has $background
head -c 6 "$tmp/small.gif" | grep -q '^GIF89a$'

# Full size, scene only: the same file exports the same bytes twice (deterministic encoders).
"$bin" replay export "$file" --frames "$tmp/a" --no-hud --every 10 --quiet
"$bin" replay export "$file" --frames "$tmp/b" --no-hud --every 10 --quiet
diff -r "$tmp/a" "$tmp/b"
$check png "$tmp/a/frame_000010.png" --has $cart --has $pole

# Every LZW code width and dictionary reset, decoded by Pillow.
SP_GIF_NOISE_OUT="$tmp/noise.gif" "$test_draw" gif_noise >/dev/null
$check gif "$tmp/noise.gif" --frames 2 --min-colors 216

# Bad usage is exit 2 with one line; a missing file too.
set +e
"$bin" replay export "$file" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "nothing to do" "$tmp/err" || die "no output option: rc $rc"
"$bin" replay export "$tmp/none.sprp" --gif "$tmp/x.gif" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || die "missing file: rc $rc"
"$bin" replay export "$file" --gif "$tmp/x.gif" --size 10 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || die "bad --size: rc $rc"
if command -v ffmpeg >/dev/null; then
  "$bin" replay export "$file" --video "$tmp/out.mp4" --size 320x240 --quiet; rc=$?
  [ $rc -eq 0 ] && [ -s "$tmp/out.mp4" ] || die "--video with ffmpeg: rc $rc"
else
  "$bin" replay export "$file" --video "$tmp/out.mp4" 2>"$tmp/err"; rc=$?
  [ $rc -eq 1 ] && grep -q "ffmpeg" "$tmp/err" || die "--video without ffmpeg: rc $rc"
  [ ! -e "$tmp/out.mp4" ] || die "--video without ffmpeg left a file"
fi
# The video path with a stand-in ffmpeg that stores what it is fed: one raw RGB24 frame per
# exported step, piped to an output named last on its command line.
mkdir "$tmp/fakebin"
printf '#!/bin/sh\nfor last; do :; done\ncat > "$last"\n' > "$tmp/fakebin/ffmpeg"
chmod +x "$tmp/fakebin/ffmpeg"
PATH="$tmp/fakebin:$PATH" "$bin" replay export "$file" --video "$tmp/fake.mp4" --size 64x48 --quiet
rc=$?
[ $rc -eq 0 ] || die "--video through the stand-in ffmpeg: rc $rc"
size=$(stat -c %s "$tmp/fake.mp4")
[ "$size" -eq $(((steps + 1) * 64 * 48 * 3)) ] || die "--video fed $size bytes to ffmpeg"
set -e
echo "ok export"
