"""Draws assets/icon.png (the plugin's listing icon) with the standard library only.

The picture is the plugin's subject: a reference distribution (teal) and a drifted current one
(amber) on a dark rounded square. Run `python3 assets/make_icon.py` to regenerate it.
"""

import math
import os
import struct
import zlib

SIZE = 512
BACKGROUND = (22, 33, 52)
REFERENCE = (64, 196, 180)
CURRENT = (245, 166, 35)
AXIS = (120, 136, 160)


def bell(x: float, mean: float, sd: float, height: float) -> float:
    return height * math.exp(-0.5 * ((x - mean) / sd) ** 2)


def coverage_rounded_square(x: float, y: float, radius: float) -> float:
    """Anti-aliased inside-ness of pixel centre (x, y) for a rounded square filling the image."""
    cx = min(max(x, radius), SIZE - radius)
    cy = min(max(y, radius), SIZE - radius)
    d = math.hypot(x - cx, y - cy)
    return min(max(radius - d + 0.5, 0.0), 1.0)


def curve_samples(mean: float, sd: float, height: float, base: float) -> list[float]:
    return [base - bell(x, mean, sd, height) for x in range(SIZE)]


def draw() -> list[bytearray]:
    base, left, right = 400.0, 64, SIZE - 64
    ref = curve_samples(200, 52, 250, base)
    cur = curve_samples(318, 60, 215, base)
    rows = []
    for y in range(SIZE):
        row = bytearray([0])  # PNG filter type: none
        for x in range(SIZE):
            alpha = coverage_rounded_square(x + 0.5, y + 0.5, 96)
            color = list(BACKGROUND)
            layers = []
            if left <= x <= right:
                # filled areas under both curves, then their outlines, then the axis
                for curve, rgb, fill in ((ref, REFERENCE, 0.35), (cur, CURRENT, 0.35)):
                    if curve[x] <= y + 0.5 <= base:
                        layers.append((rgb, fill))
                for curve, rgb in ((ref, REFERENCE), (cur, CURRENT)):
                    slope = (curve[min(x + 1, SIZE - 1)] - curve[max(x - 1, 0)]) / 2
                    dist = abs(y + 0.5 - curve[x]) / math.sqrt(1 + slope * slope)
                    layers.append((rgb, min(max(6.0 - dist, 0.0), 1.0)))
                layers.append((AXIS, min(max(4.0 - abs(y + 0.5 - base - 4), 0.0), 1.0)))
            for rgb, a in layers:
                color = [c * (1 - a) + n * a for c, n in zip(color, rgb)]
            row += bytes(int(round(c)) for c in color) + bytes([int(round(255 * alpha))])
        rows.append(row)
    return rows


def write_png(path: str, rows: list[bytearray]) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA
    data = zlib.compress(b"".join(rows), 9)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))


if __name__ == "__main__":
    write_png(os.path.join(os.path.dirname(os.path.abspath(__file__)), "icon.png"), draw())
