"""The app icons follow Teams' rules and are what the committed generator draws."""
from __future__ import annotations

import pytest

from manifest import icons, package
from manifest.png import RGBA, Image, PngError, decode, encode


def load(name: str) -> Image:
    return decode((package.HERE / name).read_bytes())


def pixels(image: Image) -> list[tuple[int, int, int, int]]:
    return [image.rgba(x, y) for y in range(image.height) for x in range(image.width)]


def test_color_icon_is_192_square_and_opaque():
    image = load("color.png")
    assert (image.width, image.height) == (192, 192)
    assert {alpha for *_, alpha in pixels(image)} == {255}


def test_color_icon_draws_a_mark_on_its_background():
    colours = {(r, g, b) for r, g, b, _ in pixels(load("color.png"))}
    assert {icons.ACCENT, icons.PAPER, icons.BRASS} <= colours


def test_color_icon_background_is_the_manifest_accent_colour():
    accent = package.render("3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "1.0.0")["accentColor"]
    r, g, b, _ = load("color.png").rgba(0, 0)
    assert f"#{r:02X}{g:02X}{b:02X}" == accent.upper()


def test_outline_icon_is_32_square_white_on_transparent():
    image = load("outline.png")
    assert (image.width, image.height) == (32, 32)
    assert {(r, g, b) for r, g, b, alpha in pixels(image) if alpha} == {(255, 255, 255)}
    assert [image.rgba(x, y)[3] for x, y in ((0, 0), (31, 0), (0, 31))] == [0, 0, 0]


def test_outline_icon_carries_the_mark_in_alpha():
    alphas = [alpha for *_, alpha in pixels(load("outline.png"))]
    assert 60 < sum(a == 255 for a in alphas) < len(alphas) // 2
    assert any(0 < a < 255 for a in alphas)  # anti-aliased edges, not a jagged 1-bit mask


@pytest.mark.parametrize("name, draw", [("color.png", icons.color_icon), ("outline.png", icons.outline_icon)])
def test_committed_icon_is_what_the_generator_draws(name, draw):
    assert load(name) == decode(encode(draw())), f"run `python -m manifest.icons` and commit {name}"


def test_png_round_trip_keeps_every_pixel():
    image = Image(3, 2, RGBA, bytes(range(24)))
    assert decode(encode(image)) == image


def test_corrupt_png_is_rejected():
    data = bytearray(encode(Image(2, 2, RGBA, bytes(16))))
    data[20] ^= 0xFF  # inside IHDR, so its CRC no longer matches
    with pytest.raises(PngError):
        decode(bytes(data))
