#!/usr/bin/env python3
"""Independent decoders for the PNG and GIF files sandpit writes, used by the CLI tests.

Decoding with code we did not write (Python's zlib for PNG, Pillow for GIF) is what proves
the encoders right; the C tests only check structure.

    imagecheck.py png FILE [--min-colors N] [--has R,G,B ...]   (colours over all frames)
    imagecheck.py gif FILE [--frames N] [--has R,G,B ...]
    imagecheck.py same A.png B.png [--rows FIRST:END]   the same pixels in those rows

Prints one summary line; exits 1 with a message when a check fails.
"""
import argparse
import struct
import sys
import zlib


def fail(msg):
    print(f"imagecheck: {msg}", file=sys.stderr)
    sys.exit(1)


def decode_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path}: not a PNG signature")
    at, idat, width, height, chunks = 8, b"", None, None, []
    while at < len(data):
        if at + 12 > len(data):
            fail(f"{path}: chunk header cut at byte {at}")
        (n,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + n]
        (crc,) = struct.unpack(">I", data[at + 8 + n : at + 12 + n])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            fail(f"{path}: bad CRC in {kind!r} chunk")
        if kind == b"IHDR":
            width, height, depth, ctype, comp, filt, inter = struct.unpack(">IIBBBBB", body)
            if (depth, ctype, comp, filt, inter) != (8, 2, 0, 0, 0):
                fail(f"{path}: not 8-bit RGB without interlace")
        elif kind == b"IDAT":
            idat += body
        chunks.append(kind)
        at += 12 + n
    if not chunks or chunks[0] != b"IHDR" or chunks[-1] != b"IEND":
        fail(f"{path}: chunks out of order: {chunks}")
    raw = zlib.decompress(idat)  # also checks the Adler-32 trailer
    stride = 1 + 3 * width
    if len(raw) != height * stride:
        fail(f"{path}: {len(raw)} bytes of image data, want {height * stride}")
    pixels = []
    for y in range(height):
        if raw[y * stride] != 0:
            fail(f"{path}: row {y} uses filter {raw[y * stride]}; the writer uses None")
        row = raw[y * stride + 1 : (y + 1) * stride]
        pixels.append([tuple(row[x : x + 3]) for x in range(0, 3 * width, 3)])
    return width, height, [pixels]


def decode_gif(path):
    """Every frame as RGB, decoded by Pillow (not by code of ours), after checking what our
    writer promises: GIF89a, a global palette, full-size frames without a local palette."""
    from PIL import Image, ImageSequence

    data = open(path, "rb").read()
    if data[:6] != b"GIF89a":
        fail(f"{path}: not a GIF89a header")
    if not data[10] & 0x80:
        fail(f"{path}: no global colour table")
    if data[-1:] != b"\x3b":
        fail(f"{path}: no trailer")
    frames = []
    with Image.open(path) as im:
        width, height = im.size
        for i, frame in enumerate(ImageSequence.Iterator(im)):
            if frame.tile and frame.tile[0][1] != (0, 0, width, height):
                fail(f"{path}: frame {i} is not full-size")
            rgb = frame.convert("RGB")
            px = list(rgb.getdata())
            frames.append([px[r * width : (r + 1) * width] for r in range(height)])
    return width, height, frames


def same(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rows", default=":")
    args = ap.parse_args(argv)
    wa, ha, (pa,) = decode_png(args.a)
    wb, hb, (pb,) = decode_png(args.b)
    if wa != wb:
        fail(f"widths differ: {wa} and {wb}")
    first, _, end = args.rows.partition(":")
    first, end = int(first or 0), int(end or min(ha, hb))
    if end > min(ha, hb):
        fail(f"rows {first}:{end} are not in both images ({ha} and {hb} rows)")
    for y in range(first, end):
        if pa[y] != pb[y]:
            x = next(i for i in range(wa) if pa[y][i] != pb[y][i])
            fail(f"first difference at ({x}, {y}): {pa[y][x]} and {pb[y][x]}")
    print(f"same {wa}x{end - first} rows {first}:{end}")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "same":
        return same(sys.argv[2:])
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["png", "gif"])
    ap.add_argument("file")
    ap.add_argument("--min-colors", type=int, default=0)
    ap.add_argument("--frames", type=int)
    ap.add_argument("--has", action="append", default=[], help="R,G,B present in every frame")
    args = ap.parse_args()
    width, height, frames = (decode_png if args.kind == "png" else decode_gif)(args.file)
    if args.frames is not None and len(frames) != args.frames:
        fail(f"{args.file}: {len(frames)} frames, want {args.frames}")
    colors = set()
    for i, frame in enumerate(frames):
        seen = {p for row in frame for p in row}
        colors |= seen
        for want in args.has:
            rgb = tuple(int(v) for v in want.split(","))
            if rgb not in seen:
                fail(f"{args.file}: frame {i} has no pixel of colour {rgb}")
    if len(colors) < args.min_colors:
        fail(f"{args.file}: {len(colors)} distinct colours, want at least {args.min_colors}")
    print(f"{args.kind} {width}x{height} frames {len(frames)} colors {len(colors)}")


if __name__ == "__main__":
    main()
