#!/usr/bin/env python3
"""Independent decoders for the PNG and GIF files sandpit writes, used by the CLI tests.

Decoding with code we did not write (Python's zlib) or wrote from the specs separately (the
LZW decoder below) is what proves the encoders right; the C tests only check structure.

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


def lzw_decode(data, min_size, count):
    """GIF LZW (variable-width codes, LSB first, clear and end codes), written from the
    GIF89a spec, independent of replay/export/gif.c."""
    clear, end = 1 << min_size, (1 << min_size) + 1
    bits, nbits, pos, out = 0, 0, 0, []
    size, table, prev = min_size + 1, None, None

    def reset():
        return [bytes([i]) for i in range(clear)] + [b"", b""]

    table = reset()
    while True:
        while nbits < size:
            if pos >= len(data):
                fail("LZW data ended without an end code")
            bits |= data[pos] << nbits
            pos += 1
            nbits += 8
        code = bits & ((1 << size) - 1)
        bits >>= size
        nbits -= size
        if code == clear:
            table, size, prev = reset(), min_size + 1, None
            continue
        if code == end:
            break
        if prev is None:
            entry = table[code]
        elif code < len(table):
            entry = table[code]
            table.append(prev + entry[:1])
        elif code == len(table):
            entry = prev + prev[:1]
            table.append(entry)
        else:
            fail(f"LZW code {code} beyond table size {len(table)}")
        out.append(entry)
        prev = entry
        if len(table) == (1 << size) and size < 12:
            size += 1
    pixels = b"".join(out)
    if len(pixels) != count:
        fail(f"LZW decoded {len(pixels)} pixels, want {count}")
    return pixels


def decode_gif(path):
    data = open(path, "rb").read()
    if data[:6] != b"GIF89a":
        fail(f"{path}: not a GIF89a header")
    width, height, packed = struct.unpack("<HHB", data[6:11])
    if not packed & 0x80:
        fail(f"{path}: no global colour table")
    ncolors = 2 << (packed & 7)
    palette = [tuple(data[13 + 3 * i : 16 + 3 * i]) for i in range(ncolors)]
    at, frames = 13 + 3 * ncolors, []
    while True:
        if at >= len(data):
            fail(f"{path}: no trailer")
        tag = data[at]
        if tag == 0x3B:
            if at != len(data) - 1:
                fail(f"{path}: data after the trailer")
            break
        if tag == 0x21:
            at += 2
            while data[at]:
                at += 1 + data[at]
            at += 1
        elif tag == 0x2C:
            x, y, w, h, flags = struct.unpack("<HHHHB", data[at + 1 : at + 10])
            if (x, y, w, h) != (0, 0, width, height) or flags & 0x80:
                fail(f"{path}: frame {len(frames)} is not full-size on the global palette")
            min_size, at = data[at + 10], at + 11
            blocks = b""
            while data[at]:
                blocks += data[at + 1 : at + 1 + data[at]]
                at += 1 + data[at]
            at += 1
            idx = lzw_decode(blocks, min_size, width * height)
            frames.append(
                [[palette[idx[r * width + c]] for c in range(width)] for r in range(height)]
            )
        else:
            fail(f"{path}: unknown block 0x{tag:02x} at byte {at}")
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
