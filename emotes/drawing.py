"""The global emotes the site draws itself (no image is downloaded): simple faces and
symbols on a transparent square, drawn at 112 px and shrunk by the image pipeline."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageDraw

SIZE = 112
YELLOW = (250, 204, 21, 255)
DARK = (30, 30, 40, 255)
RED = (239, 68, 68, 255)
BLUE = (59, 130, 246, 255)


def _face(draw: ImageDraw.ImageDraw) -> None:
    draw.ellipse((6, 6, SIZE - 6, SIZE - 6), fill=YELLOW, outline=DARK, width=4)


def _eyes(draw: ImageDraw.ImageDraw) -> None:
    draw.ellipse((34, 36, 46, 52), fill=DARK)
    draw.ellipse((66, 36, 78, 52), fill=DARK)


def smile(draw: ImageDraw.ImageDraw) -> None:
    _face(draw)
    _eyes(draw)
    draw.arc((30, 40, 82, 88), 20, 160, fill=DARK, width=6)


def laugh(draw: ImageDraw.ImageDraw) -> None:
    _face(draw)
    draw.arc((30, 38, 48, 52), 200, 340, fill=DARK, width=5)
    draw.arc((64, 38, 82, 52), 200, 340, fill=DARK, width=5)
    draw.chord((28, 52, 84, 96), 0, 180, fill=DARK)


def wow(draw: ImageDraw.ImageDraw) -> None:
    _face(draw)
    _eyes(draw)
    draw.ellipse((46, 64, 66, 90), fill=DARK)


def sad(draw: ImageDraw.ImageDraw) -> None:
    _face(draw)
    _eyes(draw)
    draw.arc((32, 68, 80, 100), 200, 340, fill=DARK, width=6)
    draw.ellipse((76, 54, 84, 66), fill=BLUE)


def heart(draw: ImageDraw.ImageDraw) -> None:
    draw.ellipse((10, 18, 60, 68), fill=RED)
    draw.ellipse((52, 18, 102, 68), fill=RED)
    draw.polygon([(14, 54), (98, 54), (56, 100)], fill=RED)


def gg(draw: ImageDraw.ImageDraw) -> None:
    draw.rounded_rectangle((6, 20, SIZE - 6, SIZE - 20), radius=16, fill=BLUE)
    for left in (18, 60):
        draw.arc((left, 34, left + 34, 78), 30, 330, fill=(255, 255, 255, 255), width=8)
        draw.line((left + 20, 57, left + 34, 57), fill=(255, 255, 255, 255), width=8)


# code: how it is drawn. Codes are the site's own, so no channel's are shadowed by accident.
GLOBAL_EMOTES: dict[str, Callable[[ImageDraw.ImageDraw], None]] = {
    "SiteSmile": smile,
    "SiteLol": laugh,
    "SiteWow": wow,
    "SiteSad": sad,
    "SiteHeart": heart,
    "SiteGG": gg,
}


def drawn_emote(code: str) -> bytes:
    """The global emote `code` as a PNG of SIZE x SIZE."""
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    GLOBAL_EMOTES[code](ImageDraw.Draw(image))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
