"""Minimal 8-bit PNG encoding and decoding, enough to write the icons and let tests inspect any PNG."""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type -> samples per pixel
GREY, RGB, GREY_ALPHA, RGBA = 0, 2, 4, 6


class PngError(ValueError):
    """The bytes are not a PNG this module understands."""


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    color_type: int
    pixels: bytes  # rows top to bottom, no filter bytes

    @property
    def channels(self) -> int:
        return CHANNELS[self.color_type]

    def rgba(self, x: int, y: int) -> tuple[int, int, int, int]:
        start = (y * self.width + x) * self.channels
        px = self.pixels[start:start + self.channels]
        if self.color_type == GREY:
            return px[0], px[0], px[0], 255
        if self.color_type == GREY_ALPHA:
            return px[0], px[0], px[0], px[1]
        if self.color_type == RGB:
            return px[0], px[1], px[2], 255
        return px[0], px[1], px[2], px[3]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def encode(image: Image) -> bytes:
    """Deterministic bytes (no timestamps), so regenerated icons compare equal to committed ones."""
    stride = image.width * image.channels
    raw = b"".join(b"\x00" + image.pixels[y * stride:(y + 1) * stride] for y in range(image.height))
    header = struct.pack(">IIBBBBB", image.width, image.height, 8, image.color_type, 0, 0, 0)
    return SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")


def _chunks(data: bytes):
    if not data.startswith(SIGNATURE):
        raise PngError("not a PNG signature")
    at = len(SIGNATURE)
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise PngError(f"bad CRC in {kind!r}")
        yield kind, body
        at += 12 + length


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _unfilter(raw: bytes, height: int, stride: int, bpp: int) -> bytes:
    out, previous, at = bytearray(), bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            predictor = (0, left, up, (left + up) // 2, _paeth(left, up, corner))[kind]
            line[i] = (line[i] + predictor) & 0xFF
        out += line
        previous = line
    return bytes(out)


def decode(data: bytes) -> Image:
    header, idat = None, b""
    for kind, body in _chunks(data):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    if header is None:
        raise PngError("no IHDR chunk")
    width, height, depth, color_type, _, _, interlace = header
    if depth != 8 or color_type not in CHANNELS or interlace:
        raise PngError(f"unsupported PNG: depth {depth}, colour type {color_type}, interlace {interlace}")
    bpp = CHANNELS[color_type]
    pixels = _unfilter(zlib.decompress(idat), height, width * bpp, bpp)
    return Image(width, height, color_type, pixels)
