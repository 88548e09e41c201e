"""The fault-suite runner's HTML report (``--report DIR``) end to end against a real server,
looked at the way a person would: opened in headless Chromium (Debian's ``chromium``), whose
screenshot must show the page (not blank, the tables, the episode GIFs and charts), and every
file the pages name exists. Plus the progress bar of the runner."""

from __future__ import annotations

import html.parser
import io
import shutil
import struct
import subprocess
import sys
import tempfile
import textwrap
import zlib
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest
from sandpit.progress import Progress

REPO = Path(__file__).resolve().parents[2]

SUITE = """
    name = "report-demo"
    env = "CartPole-v0"
    seeds = [3]
    episodes = 1
    max_steps = 120
    [baseline]
    thresholds = { min_mean_return = 100.0 }
    [[scenarios]]
    name = "blind"
    faults = [{ kind = "outage", target = "pole.*", mode = "zero", schedule = { type = "window", start = 5 } }]
    guardrails = { constraint = { sensor = "cart.x", low = -0.05, high = 0.05 } }
    thresholds = { min_mean_return = 100.0 }
"""


class Links(html.parser.HTMLParser):
    """Every src and href of a page, and its element ids."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: List[str] = []
        self.ids: Set[str] = set()
        self.tags: Dict[str, int] = {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for k, v in attrs:
            if k in ("src", "href") and v:
                self.refs.append(v)
            if k == "id" and v:
                self.ids.add(v)


def parse(page: Path) -> Links:
    p = Links()
    p.feed(page.read_text(encoding="utf-8"))
    return p


def check_links(page: Path) -> Links:
    """Every src/href names a file beside the page, every #anchor an element of its page."""
    links = parse(page)
    for ref in links.refs:
        path, _, anchor = ref.partition("#")
        target = page.parent / path if path else page
        assert target.is_file(), f"{page.name}: {ref} does not exist"
        if anchor:
            assert anchor in parse(target).ids, f"{page.name}: no #{anchor} in {target.name}"
    return links


def decode_png(path: Path) -> Tuple[int, int, List[bytes]]:
    """A PNG decoder for Chromium's screenshots: 8-bit RGB or RGBA, any filter."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat = 8, b""
    while at < len(data):
        (n,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6) and body[12] == 0, "8-bit RGB(A), no interlace"
        elif kind == b"IDAT":
            idat += body
        at += 12 + n
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, [bytes(r[i] for j in range(0, stride, bpp) for i in (j, j + 1, j + 2)) for r in rows]


def colours(rows: List[bytes]) -> Dict[Tuple[int, int, int], int]:
    counts: Dict[Tuple[int, int, int], int] = {}
    for r in rows:
        for i in range(0, len(r), 3):
            c = (r[i], r[i + 1], r[i + 2])
            counts[c] = counts.get(c, 0) + 1
    return counts


def screenshot(page: Path, out: Path, size: str = "1200,1600") -> Dict[Tuple[int, int, int], int]:
    """Opens `page` in headless Chromium and returns the screenshot's colour counts."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (./dev.sh installs Debian's chromium)")
    profile = tempfile.mkdtemp(prefix="sandpit-chromium-")
    try:
        proc = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                f"--window-size={size}",
                f"--screenshot={out}",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert proc.returncode == 0 and out.is_file(), proc.stderr[-2000:]
    w, h, rows = decode_png(out)
    assert (w, h) == tuple(int(x) for x in size.split(","))
    return colours(rows)


def test_suite_report_in_chromium(endpoint, tmp_path):
    suite = tmp_path / "suite.toml"
    suite.write_text(textwrap.dedent(SUITE))
    out = tmp_path / "ci"
    out.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "sandpit.faults", "run", str(suite), "--agent",
         "sandpit.agents:cartpole", "--endpoint", endpoint, "--junit", str(out / "junit.xml"),
         "--report", str(out / "report")],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the blind scenario fails
    assert "report: " in proc.stdout
    assert "report-demo [" not in proc.stderr  # no bar into a pipe
    report = out / "report"
    index, episodes = report / "index.html", report / "episodes.html"
    assert (out / "junit.xml").is_file() and index.is_file() and episodes.is_file()

    links = check_links(index)
    assert links.tags.get("table") == 1 and "scenarios" in links.ids
    text = index.read_text()
    assert "FAIL" in text and "blind: min_mean_return" in text
    # the failed case links its replay and its episode's section
    assert "replays/blind-s3-e0.sprp" in links.refs
    assert any(r.startswith("episodes.html#ep-") for r in links.refs)
    ep = check_links(episodes)
    assert "summary" in ep.ids and ep.tags.get("img", 0) >= 2  # a GIF and charts per episode
    etext = episodes.read_text()
    assert "outage pole.* mode=zero from step 5" in etext and "constraint" in etext
    assert "<script" not in text + etext
    assert str(tmp_path) not in text + etext  # relative links only

    # In a browser: the suite page shows its table (the header's grey) and text ...
    seen = screenshot(index, tmp_path / "index.png", "1000,600")
    assert len(seen) > 10 and seen.get((221, 221, 221), 0) > 1000, sorted(seen.items())[:20]
    # ... and the episodes page its table and every picture: the GIF's scene background, the
    # charts' line blue, a fault's tint, the guardrail red.
    seen = screenshot(episodes, tmp_path / "episodes.png", "1400,1800")
    assert seen.get((221, 221, 221), 0) > 1000
    for c in [(0, 0, 51), (51, 204, 255), (51, 51, 0), (255, 51, 51)]:
        assert seen.get(c, 0) > 20, f"{c} missing from the screenshot"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_and_in_a_log(monkeypatch):
    tty = Tty()
    p = Progress("suite", 4, stream=tty)
    p.update(1)  # the first update draws at once on a terminal
    p.update(2)
    p.finish()
    out = tty.getvalue()
    assert out.startswith("\rsuite [#######.......................] 1/4  25% ")
    assert out.endswith(" 4/4 100% 0:00 elapsed   \n".replace("4/4", "2/4").replace("100%", " 50%"))
    quiet = Tty()
    p = Progress("suite", 4, quiet=True, stream=quiet)
    p.update(4)
    p.finish()
    assert quiet.getvalue() == ""
    # Not a terminal: nothing for a short run; a line every 5 s of a long one, and a last one.
    clock = [100.0]
    monkeypatch.setattr("sandpit.progress.time.monotonic", lambda: clock[0])
    log = io.StringIO()
    p = Progress("suite", 3, stream=log)
    p.update(1)
    assert log.getvalue() == ""
    clock[0] += 6.0
    p.update(2)
    clock[0] += 1.0
    p.update(3)
    p.finish()
    assert log.getvalue() == "suite: 2/3 (66%), 0:03 left\nsuite: 3/3 (100%), 0:07 elapsed\n"
    short = io.StringIO()
    p = Progress("suite", 3, stream=short)
    p.update(3)
    p.finish()
    assert short.getvalue() == ""
