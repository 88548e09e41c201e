#!/usr/bin/env bash
# `sandpit replay plot` and `sandpit replay report`, headless:
#   - plot writes a PNG of the chart panel (decoded here) in the charts' colours, the same
#     bytes every time; --channels picks charts (globs), --against overlays a second episode
#     in its own colour with the divergence line; bad usage exits 2 with a message;
#   - report writes a static page: the summary table with a row per file, a GIF and a chart
#     PNG per episode (all decoded), the first divergent step of a pair; every src and href
#     in the page names a file that exists; the same files give the same bytes;
#   - export over many files: a frames directory and a GIF each;
#   - progress: on a terminal (a pty from script(1)) verify, export and report draw a bar with
#     counts and the time; --quiet draws nothing; into a pipe a short run prints nothing extra.
set -euo pipefail
bin=${1:?usage: report.sh SANDPIT_BIN}
here=$(cd "$(dirname "$0")" && pwd)
check="${SP_PYTHON:-python3} $here/imagecheck.py" # Pillow decodes the GIFs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
die() { echo "FAIL: $*"; exit 1; }

"$bin" rollout --env CartPole-v0 --seed 7 --policy random --record "$tmp/rec" >/dev/null
"$bin" rollout --env CartPole-v0 --seed 17 --policy random --record "$tmp/rec" >/dev/null
"$bin" rollout --env LanderContinuous-v0 --seed 3 --policy random --record "$tmp/rec" >/dev/null
a=$(ls "$tmp"/rec/CartPole-v0-s7-*.sprp)
b=$(ls "$tmp"/rec/CartPole-v0-s17-*.sprp)
l=$(ls "$tmp"/rec/LanderContinuous-v0-*.sprp)
size_of() { python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("%dx%d" % struct.unpack(">II", d[16:24]))' "$1"; }

# plot: default charts (5 of CartPole: cart.x, cart.velocity, action, reward, cost), 110 px each.
"$bin" replay plot "$a" --out "$tmp/p1.png" --step 10 | grep -q "plotted 5 channel" || die "plot"
[ "$(size_of "$tmp/p1.png")" = 900x550 ] || die "plot size $(size_of "$tmp/p1.png")"
$check png "$tmp/p1.png" --has 51,204,255 --has 255,255,255 --min-colors 4
"$bin" replay plot "$a" --out "$tmp/p2.png" --step 10 --quiet
cmp -s "$tmp/p1.png" "$tmp/p2.png" || die "the same plot twice differs"
"$bin" replay plot "$l" --out "$tmp/l.png" --channels 'hull.*,engine.main' --size 400x300 --quiet
[ "$(size_of "$tmp/l.png")" = 400x300 ] || die "--size"
"$bin" replay plot "$a" --against "$b" --out "$tmp/ab.png" --channels cart.x --quiet
$check png "$tmp/ab.png" --has 51,204,255 --has 255,102,51 --has 255,0,255
"$bin" replay plot "$b" --against "$a" --out "$tmp/ba.png" --quiet # the overlay is the longer
set +e
"$bin" replay plot "$a" --out "$tmp/x.png" --channels nosuch 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "no channel 'nosuch'" "$tmp/err" || die "unknown channel: $rc $(cat "$tmp/err")"
"$bin" replay plot "$a" 2>/dev/null; [ $? -eq 2 ] || die "plot without --out should exit 2"
"$bin" replay plot "$tmp/none.sprp" --out "$tmp/x.png" 2>/dev/null; [ $? -eq 2 ] || die "missing file"
"$bin" replay plot "$a" --out "$tmp/nodir/x.png" 2>/dev/null; [ $? -eq 1 ] || die "unwritable out"
"$bin" replay report "$a" 2>/dev/null; [ $? -eq 2 ] || die "report without --html should exit 2"
"$bin" replay report --html "$tmp/r0" 2>/dev/null; [ $? -eq 2 ] || die "report without files"
set -e

# report over a pair: the table, the pictures, the first divergent step (another seed: 0).
"$bin" replay report "$a" "$b" --html "$tmp/r" --title "two seeds" 2>"$tmp/err" >"$tmp/out"
[ ! -s "$tmp/err" ] || die "report printed to stderr into a pipe: $(cat "$tmp/err")"
grep -q "wrote $tmp/r/index.html (2 episode(s))" "$tmp/out" || die "report: $(cat "$tmp/out")"
page="$tmp/r/index.html"
grep -q '<table id="summary">' "$page" || die "no summary table"
[ "$(grep -c '^<tr><td>' "$page")" = 2 ] || die "want 2 rows"
grep -q "First divergent step: 0" "$page" || die "no divergence for two seeds"
grep -q "CartPole-v0" "$page" && grep -q "terminated: pole_fell" "$page" || die "summary cells"
if grep -q '<script' "$page"; then die "the page has JavaScript"; fi
python3 - "$page" <<'PY'
import html.parser, os, sys
page = sys.argv[1]
refs = []
class P(html.parser.HTMLParser):
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href") and not v.startswith("#"):
                refs.append(v)
P().feed(open(page).read())
missing = [r for r in refs if not os.path.isfile(os.path.join(os.path.dirname(page), r))]
if missing or len(refs) < 7:  # 2 GIFs, 2 plots, the pair's plot, 2 replays
    sys.exit(f"FAIL: refs {refs}, missing {missing}")
print(f"ok {len(refs)} links, none missing")
PY
for g in "$tmp"/r/*.gif; do $check gif "$g" --has 0,0,51 >/dev/null; done
for p in "$tmp"/r/*.png; do $check png "$p" --has 51,204,255 >/dev/null; done
cp -r "$tmp/r" "$tmp/r1"
"$bin" replay report "$a" "$b" --html "$tmp/r" --title "two seeds" --quiet
diff -r "$tmp/r" "$tmp/r1" >/dev/null || die "the same report twice differs"

# Progress on a terminal: a bar with counts and time; --quiet: nothing.
script -qec "'$bin' replay verify '$a' '$b' '$l'" /dev/null >"$tmp/tty" </dev/null
grep -q 'verify \[#*\] 3/3 100% 0:0[0-9] elapsed' "$tmp/tty" || die "verify bar: $(cat -A "$tmp/tty")"
grep -q "OK .*$l" "$tmp/tty" || die "verify lines: $(cat "$tmp/tty")"
script -qec "'$bin' replay report '$a' '$l' --html '$tmp/r2'" /dev/null >"$tmp/tty" </dev/null
grep -q 'report \[#*\] 2/2 100% .* elapsed' "$tmp/tty" || die "report bar: $(cat -A "$tmp/tty")"
script -qec "'$bin' replay export '$l' --gif '$tmp/l.gif'" /dev/null >"$tmp/tty" </dev/null
grep -q 'export \[#*\] [0-9]*/[0-9]* 100% .* elapsed' "$tmp/tty" || die "export bar: $(cat -A "$tmp/tty")"
# export over many files: a frames directory and a GIF per file, the bar over the files.
script -qec "'$bin' replay export '$a' '$l' --frames '$tmp/many' --gif '$tmp/gifs' --every 9" \
  /dev/null >"$tmp/tty" </dev/null
grep -q 'export \[#*\] 2/2 100% .* elapsed' "$tmp/tty" || die "export many: $(cat -A "$tmp/tty")"
for f in "$a" "$l"; do
  name=$(basename "$f" .sprp)
  [ -s "$tmp/many/$name/frame_000000.png" ] || die "no frames of $name"
  $check gif "$tmp/gifs/$name.gif" >/dev/null
done
set +e
"$bin" replay export "$a" "$b" --video "$tmp/v.mp4" 2>"$tmp/err"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q -- "--video takes one FILE" "$tmp/err" || die "--video with two files: $rc"
script -qec "'$bin' replay verify --quiet '$a' '$b'" /dev/null >"$tmp/tty" </dev/null
if grep -q 'verify \[' "$tmp/tty"; then die "--quiet drew a bar"; fi
"$bin" replay verify "$a" "$b" 2>"$tmp/err" >/dev/null
[ ! -s "$tmp/err" ] || die "verify into a pipe printed: $(cat "$tmp/err")"
echo "ok report"
