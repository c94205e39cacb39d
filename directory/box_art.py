"""Box art the site draws for a category with none uploaded: the name on a gradient whose
colours come from the name, so a category looks the same wherever and whenever drawn."""

from __future__ import annotations

import colorsys
import hashlib
import io
import textwrap

from PIL import Image, ImageDraw, ImageFont

from directory.models import BOX_ART_SIZE


def box_art_hue(name: str) -> int:
    digest = hashlib.sha256(name.lower().encode()).digest()
    return int.from_bytes(digest[:4], "big") % 360


def box_art_color(name: str) -> str:
    """The CSS colour of a category's placeholder while no image is shown (dark enough for
    white text, as the initials avatars)."""
    return f"hsl({box_art_hue(name)}, 55%, 30%)"


def _rgb(hue: int, lightness: float) -> tuple[int, int, int]:
    red, green, blue = colorsys.hls_to_rgb(hue / 360, lightness, 0.55)
    return round(red * 255), round(green * 255), round(blue * 255)


def generated_box_art(name: str) -> bytes:
    """A PNG at BOX_ART_SIZE: a vertical gradient from the name's hue to its neighbour's,
    with the name in white near the bottom."""
    width, height = BOX_ART_SIZE
    hue = box_art_hue(name)
    top, bottom = _rgb(hue, 0.34), _rgb((hue + 40) % 360, 0.18)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        share = y / (height - 1)
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(round(a + (b - a) * share) for a, b in zip(top, bottom, strict=True)),
        )
    font = ImageFont.load_default(size=30)
    lines = textwrap.wrap(name, width=14)[:4]
    y = height - 24 - 38 * len(lines)
    for line in lines:
        draw.text((20, y), line, font=font, fill=(255, 255, 255))
        y += 38
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
