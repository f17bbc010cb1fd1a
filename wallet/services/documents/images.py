"""The images a document prints, ready to embed: the QR code and the badge image as PNG."""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from typing import Any

from wallet.models import Badge

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@lru_cache(maxsize=1024)
def qr_png(url: str) -> bytes:
    """Return url's QR code (services.qr: level M, 4-module quiet zone) as an 8 px/module grey PNG.

    ReportLab embeds a greyscale image as is, but expands a 1-bit one to RGB: at 8 px per module
    the code stays crisp at any print size and embeds several times faster than the 600 px PNG.
    """
    from PIL import Image

    from wallet.services import qr

    with Image.open(io.BytesIO(qr.png(url))) as source:
        image = source.convert("L")
    modules = _qr_modules(image)
    grey = image.resize((modules * 8, modules * 8), Image.Resampling.NEAREST)
    out = io.BytesIO()
    grey.save(out, format="PNG")
    return out.getvalue()


def _qr_modules(image: Any) -> int:
    """Return the modules per side (quiet zone included) of a QR image with square modules."""
    pixels = image.load()
    # The top-left finder pattern begins after the 4-module quiet zone, on the diagonal.
    first = next(i for i in range(image.width) if pixels[i, i] < 128)
    return round(image.width * 4 / first)


def badge_png(badge: Badge, size: int) -> bytes:
    """Return the badge image for print: our PNG at most size px, flattened on white paper."""
    from wallet.services import images

    data = badge.content.image_png if badge.content is not None else None
    if not data or not data.startswith(PNG_SIGNATURE):
        data = images.placeholder(badge.name or "?")
    return _flattened(data, size)


@lru_cache(maxsize=64)
def _flattened(png: bytes, size: int) -> bytes:
    """Return an RGB copy of a PNG on white, at most size px: paper is white, RGB embeds faster."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        rgba = image.convert("RGBA")
    rgba.thumbnail((size, size), Image.Resampling.LANCZOS)
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    out = io.BytesIO()
    flat.save(out, format="PNG")
    return out.getvalue()


def data_uri(png: bytes) -> str:
    """Return a data: URI of a PNG (the only kind of resource the templates use)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
