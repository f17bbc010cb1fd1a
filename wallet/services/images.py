"""Badge images re-encoded by us: bounded PNGs, never the issuer's bytes served as-is."""

from __future__ import annotations

import base64
import binascii
import io
import warnings

from PIL import Image
from PIL import ImageDraw
from PIL import UnidentifiedImageError

MAX_SOURCE_PIXELS = 25_000_000
DISPLAY_SIZE = 512
RASTER_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


def reencode(data: bytes, size: int = DISPLAY_SIZE) -> bytes | None:
    """Return data as a fresh PNG at most size×size, or None when it is not a safe raster image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in RASTER_FORMATS:
                    return None
                width, height = image.size
                if width <= 0 or height <= 0 or width * height > MAX_SOURCE_PIXELS:
                    return None
                image.draft("RGBA", (size, size))
                frame = image.convert("RGBA")
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        EOFError,
    ):
        return None
    frame.thumbnail((size, size))
    out = io.BytesIO()
    frame.save(out, format="PNG", optimize=True)
    return out.getvalue()


def decode_data_uri(uri: str, max_bytes: int = 5 * 1024 * 1024) -> bytes | None:
    """Return the bytes of a base64 data: URI image, or None."""
    if not uri.startswith("data:") or "," not in uri:
        return None
    header, _, body = uri.partition(",")
    if ";base64" not in header or len(body) > max_bytes * 4 // 3 + 4:
        return None
    try:
        return base64.b64decode(body, validate=False)
    except (binascii.Error, ValueError):
        return None


def placeholder(label: str, size: int = 256) -> bytes:
    """Return a neutral round placeholder PNG with the label's first character."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, size - 8, size - 8), fill=(29, 78, 216, 255))
    draw.ellipse((28, 28, size - 28, size - 28), outline=(255, 255, 255, 255), width=6)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def resized(png: bytes, size: int) -> bytes:
    """Return a smaller copy of one of our own PNGs (for signatures and cards)."""
    with Image.open(io.BytesIO(png)) as image:
        frame = image.convert("RGBA")
    frame.thumbnail((size, size))
    out = io.BytesIO()
    frame.save(out, format="PNG", optimize=True)
    return out.getvalue()
