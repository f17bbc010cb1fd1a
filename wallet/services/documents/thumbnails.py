"""Small pictures of the three documents for the documents page: each layout in miniature.

Drawn with Pillow from the same parts the PDF prints (the badge image, the QR code of the
public page, the 失効 / 期限切れ mark) in the document's proportions, so the holder recognises
each document at a glance without the server rendering and rasterising three PDFs.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import TYPE_CHECKING

from wallet.models import Badge
from wallet.services import states
from wallet.services.documents.content import public_url
from wallet.services.documents.fonts import locate_fonts
from wallet.services.documents.images import badge_png
from wallet.services.documents.images import qr_png
from wallet.services.documents.stamp import stamp_png

if TYPE_CHECKING:
    from PIL.Image import Image
    from PIL.ImageDraw import ImageDraw

# Pixel size of each thumbnail (shown at half size: sharp on phone screens).
SIZES = {"certificate": (240, 340), "details": (240, 340), "card": (340, 206)}
NAVY = (22, 50, 92)
GOLD = (184, 162, 106)
BAR = (203, 210, 222)
INK = (60, 70, 87)


def thumbnail_png(badge: Badge, kind: str, lang: str) -> bytes:
    """Return the miniature of one document of the badge as a PNG."""
    state = states.state_of(badge)
    stamp = state if state in states.ENDED and kind != "card" else None
    return _draw(kind, badge_png(badge, 200), qr_png(public_url(badge)), stamp, lang)


@lru_cache(maxsize=64)
def _draw(kind: str, image: bytes, qr: bytes, stamp: str | None, lang: str) -> bytes:
    """Draw a thumbnail from its parts (cached: the parts are the whole key)."""
    from PIL import Image as PilImage
    from PIL import ImageDraw

    width, height = SIZES[kind]
    page = PilImage.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(page)
    badge_image = PilImage.open(io.BytesIO(image)).convert("RGB")
    qr_image = PilImage.open(io.BytesIO(qr)).convert("RGB")
    if kind == "certificate":
        _certificate(page, draw, badge_image, qr_image)
    elif kind == "details":
        _details(page, draw, badge_image, qr_image)
    else:
        _card(page, draw, badge_image, qr_image)
    if stamp is not None:
        mark = PilImage.open(io.BytesIO(stamp_png(stamp, lang, locate_fonts().main.as_posix())))
        mark.thumbnail((int(width * 0.95), height), PilImage.Resampling.LANCZOS)
        position = ((width - mark.width) // 2, (height - mark.height) // 2)
        page.paste(mark, position, mark)
    draw.rectangle((0, 0, width - 1, height - 1), outline=(160, 168, 180))
    out = io.BytesIO()
    page.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _bars(draw: ImageDraw, x: int, y: int, widths: list[int], step: int, thick: int) -> None:
    """Draw grey lines standing for text, one under the other."""
    for i, width in enumerate(widths):
        top = y + i * step
        draw.rectangle((x, top, x + width, top + thick), fill=BAR)


def _paste(page: Image, picture: Image, box: tuple[int, int, int]) -> None:
    """Paste picture scaled to a square of side box[2] at (box[0], box[1])."""
    from PIL import Image as PilImage

    side = box[2]
    page.paste(picture.resize((side, side), PilImage.Resampling.LANCZOS), (box[0], box[1]))


def _certificate(page: Image, draw: ImageDraw, badge: Image, qr: Image) -> None:
    """A4 portrait: framed page, title, badge image, name lines, QR code at the foot."""
    width, height = page.size
    draw.rectangle((6, 6, width - 7, height - 7), outline=NAVY, width=4)
    draw.rectangle((13, 13, width - 14, height - 14), outline=GOLD, width=1)
    draw.rectangle((80, 34, width - 80, 44), fill=NAVY)
    _paste(page, badge, (width // 2 - 36, 60, 72))
    _bars(draw, 50, 146, [140], 0, 8)
    _bars(draw, 70, 176, [100], 0, 14)
    _bars(draw, 60, 214, [120, 120], 14, 5)
    _paste(page, qr, (34, 256, 60))
    _bars(draw, 104, 266, [100, 84, 92], 12, 4)


def _details(page: Image, draw: ImageDraw, badge: Image, qr: Image) -> None:
    """A4 portrait sheet: title, badge image and QR code in the head, then rows of facts."""
    width, _height = page.size
    draw.rectangle((18, 18, 110, 28), fill=NAVY)
    _paste(page, badge, (18, 40, 46))
    _bars(draw, 72, 46, [90, 60], 14, 7)
    _paste(page, qr, (width - 64, 38, 46))
    for row in range(9):
        top = 104 + row * 20
        draw.rectangle((18, top, 82, top + 12), fill=(240, 242, 246))
        draw.rectangle((90, top + 3, 90 + 50 + (row * 37) % 90, top + 8), fill=BAR)
    _bars(draw, 18, 292, [200, 180, 160], 10, 4)


def _card(page: Image, draw: ImageDraw, badge: Image, qr: Image) -> None:
    """91 x 55 mm business card: title, name, badge image and QR code in the lower right."""
    width, height = page.size
    _bars(draw, 18, 18, [150], 0, 6)
    draw.rectangle((18, 40, 190, 64), fill=INK)
    _bars(draw, 18, 74, [120], 0, 6)
    _bars(draw, 18, 124, [120, 100, 110], 14, 5)
    _paste(page, badge, (width - 150, height - 74, 56))
    _paste(page, qr, (width - 86, height - 92, 76))
