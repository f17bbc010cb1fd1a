"""The mark a revoked or expired badge's documents carry across the page: 失効 / REVOKED.

xhtml2pdf cannot rotate text or make it translucent, but it places images in static frames:
the mark is drawn once per (state, language, font) with Pillow as a translucent PNG, diagonal
like a rubber stamp, and printed under the page's text so everything stays readable.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.ImageDraw import ImageDraw as Draw
    from PIL.ImageFont import FreeTypeFont

# Word in the document's language first (large), the other language beneath (smaller).
WORDS = {
    "revoked": {"ja": "失効", "en": "REVOKED"},
    "expired": {"ja": "期限切れ", "en": "EXPIRED"},
}
# Red for revoked, amber for expired (the pages' colours), about 45% opaque.
COLOURS = {"revoked": (185, 28, 28, 115), "expired": (180, 83, 9, 115)}
# Pixel size of the mark (5 px per mm at 180 x 126 mm): a translucent mark needs no more.
SIZE = (900, 630)
ANGLE = 22


def words(state: str, lang: str) -> tuple[str, str]:
    """Return (the word in the document's language, the word in the other one)."""
    pair = WORDS[state]
    other = "en" if lang == "ja" else "ja"
    return pair[lang], pair[other]


@lru_cache(maxsize=8)
def stamp_png(state: str, lang: str, font_path: str) -> bytes:
    """Return the translucent diagonal mark of ``state`` (revoked|expired) as a PNG."""
    from PIL import Image
    from PIL import ImageDraw
    from PIL import ImageFont

    main, second = words(state, lang)
    colour = COLOURS[state]
    width, height = 1500, 620
    plate = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(plate)
    draw.rounded_rectangle((8, 8, width - 8, height - 8), radius=40, outline=colour, width=16)
    draw.rounded_rectangle((40, 40, width - 40, height - 40), radius=24, outline=colour, width=6)
    big = _fit_font(font_path, main, width - 200, 380)
    small = ImageFont.truetype(font_path, 100)
    _centre(draw, main, big, width, 60, 400, colour, 10)
    _centre(draw, second, small, width, 440, 130, colour, 3)
    turned = plate.rotate(ANGLE, resample=Image.Resampling.BICUBIC, expand=True)
    turned.thumbnail(SIZE, Image.Resampling.LANCZOS)
    canvas = Image.new("RGBA", SIZE, (0, 0, 0, 0))
    canvas.alpha_composite(turned, ((SIZE[0] - turned.width) // 2, (SIZE[1] - turned.height) // 2))
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _fit_font(font_path: str, text: str, room: int, size: int) -> FreeTypeFont:
    """Return the largest font (at most ``size`` px) whose ``text`` fits ``room`` px."""
    from PIL import ImageFont

    while size > 40:
        font = ImageFont.truetype(font_path, size)
        if font.getlength(text) <= room:
            return font
        size -= 20
    return ImageFont.truetype(font_path, size)


def _centre(
    draw: Draw,
    text: str,
    font: FreeTypeFont,
    width: int,
    top: int,
    height: int,
    colour: tuple[int, int, int, int],
    weight: int,
) -> None:
    """Draw text centred horizontally in the band [top, top + height), emboldened by a stroke.

    The font has no bold face (notes/stack.md §3.2); the stroke gives the stamp its weight.
    """
    left, upper, right, lower = draw.textbbox((0, 0), text, font=font, stroke_width=weight)
    x = (width - (right - left)) // 2 - left
    y = top + (height - (lower - upper)) // 2 - upper
    draw.text((x, y), text, font=font, fill=colour, stroke_width=weight, stroke_fill=colour)
