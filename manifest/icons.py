"""Draws RootMail's mark (an envelope with a key) as Teams' two app icons; `python -m manifest.icons` rewrites them."""
from __future__ import annotations

import math
from pathlib import Path

from manifest.png import RGB, RGBA, Image, encode

HERE = Path(__file__).resolve().parent
ACCENT = (0x1F, 0x4E, 0x79)  # deep blue: background of the colour icon and the manifest's accentColor
PAPER = (0xFF, 0xFF, 0xFF)
BRASS = (0xF2, 0xB1, 0x34)
SUBSAMPLES = 4  # per axis; 16 samples a pixel give smooth edges without an imaging library


def _segment(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def _rounded_box(px: float, py: float, x0: float, y0: float, x1: float, y1: float, r: float) -> float:
    qx = abs(px - (x0 + x1) / 2) - (x1 - x0) / 2 + r
    qy = abs(py - (y0 + y1) / 2) - (y1 - y0) / 2 + r
    return math.hypot(max(qx, 0.0), max(qy, 0.0)) + min(max(qx, qy), 0.0) - r


def _key(px: float, py: float, w: float) -> float:
    """Signed distance to a key lying diagonally in the lower right: bow, shaft, two bits."""
    bow = abs(math.hypot(px - 0.66, py - 0.66) - (0.14 - w / 2)) - w / 2
    shaft = _segment(px, py, 0.76, 0.76, 0.96, 0.96) - w / 2
    bit1 = _segment(px, py, 0.86, 0.86, 0.93, 0.79) - w / 2
    bit2 = _segment(px, py, 0.93, 0.93, 0.99, 0.87) - w / 2
    return min(bow, shaft, bit1, bit2)


def _envelope(px: float, py: float, w: float) -> float:
    x0, y0, x1, y1 = 0.02, 0.14, 0.84, 0.68
    body = abs(_rounded_box(px, py, x0, y0, x1, y1, 0.06) + w / 2) - w / 2
    mid = (x0 + x1) / 2
    flap = min(_segment(px, py, x0 + w, y0 + w, mid, 0.44), _segment(px, py, mid, 0.44, x1 - w, y0 + w)) - w / 2
    return min(body, flap)


def mark(px: float, py: float, w: float) -> str | None:
    """What covers a point of the unit square: 'key', 'envelope' or nothing; a gap keeps the key legible."""
    key = _key(px, py, w)
    if key <= 0:
        return "key"
    if key > 0.8 * w and _envelope(px, py, w) <= 0:
        return "envelope"
    return None


def _coverage(size: int, inset: float, stroke: float):
    """Yield, per pixel, the list of `mark` results of its subsamples, drawn in a box inset from the edge."""
    span = size - 2 * inset
    for y in range(size):
        for x in range(size):
            yield [mark((x + (i + 0.5) / SUBSAMPLES - inset) / span, (y + (j + 0.5) / SUBSAMPLES - inset) / span,
                        stroke / span)
                   for j in range(SUBSAMPLES) for i in range(SUBSAMPLES)]


def color_icon(size: int = 192) -> Image:
    """Full-colour icon: white envelope and brass key on the accent colour, the mark inside Teams' safe area."""
    paint = {None: ACCENT, "envelope": PAPER, "key": BRASS}
    pixels = bytearray()
    for samples in _coverage(size, inset=size * 0.2, stroke=size * 0.045):
        colours = [paint[s] for s in samples]
        pixels += bytes(round(sum(c[k] for c in colours) / len(colours)) for k in range(3))
    return Image(size, size, RGB, bytes(pixels))


def outline_icon(size: int = 32) -> Image:
    """Outline icon: white only, shape carried by alpha, transparent background (Teams' rule)."""
    pixels = bytearray()
    for samples in _coverage(size, inset=1.0, stroke=2.2):
        alpha = round(255 * sum(s is not None for s in samples) / len(samples))
        pixels += bytes((255, 255, 255, alpha))
    return Image(size, size, RGBA, bytes(pixels))


def accent_color() -> str:
    return "#{:02X}{:02X}{:02X}".format(*ACCENT)


def write(directory: Path = HERE) -> list[Path]:
    written = []
    for name, image in (("color.png", color_icon()), ("outline.png", outline_icon())):
        path = directory / name
        path.write_bytes(encode(image))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write():
        print(path)
