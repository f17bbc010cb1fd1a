"""Badge images re-encoded by us: bounded PNGs, never the issuer's bytes served as-is."""

from __future__ import annotations

import base64
import binascii
import io
import math
import subprocess
import sys
import warnings

from PIL import Image
from PIL import ImageDraw
from PIL import ImageOps
from PIL import UnidentifiedImageError

MAX_SOURCE_PIXELS = 25_000_000
DISPLAY_SIZE = 512
RASTER_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


MAX_SVG_BYTES = 2 * 1024 * 1024


def looks_like_svg(data: bytes) -> bool:
    """Return whether data starts like an SVG document (after an XML prolog or comments)."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return (
        head.startswith((b"<svg", b"<?xml", b"<!--", b"<!doctype svg"))
        and b"<svg" in data[:4096].lower()
    )


# Runs in a child process: the child caps its own CPU time and memory before it parses anything.
_DRAW_SVG = """
import resource, sys
seconds, memory, size = (int(arg) for arg in sys.argv[1:4])
resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
import cairosvg
data = sys.stdin.buffer.read()
sys.stdout.buffer.write(cairosvg.svg2png(bytestring=data, output_width=size, unsafe=False))
"""
SVG_DRAW_SECONDS = 5
SVG_DRAW_MEMORY = 1024 * 1024 * 1024


def rasterize_svg(
    data: bytes, size: int = DISPLAY_SIZE, seconds: float = SVG_DRAW_SECONDS
) -> bytes | None:
    """Draw an issuer's SVG as our own PNG, or None when it cannot be drawn safely.

    cairosvg parses with defusedxml and, without ``unsafe``, loads no external resource
    (only data: URLs), so a hostile SVG cannot reach files or the network; it is never
    inlined into our pages. Drawing runs in a child process with a deadline and CPU and
    memory limits: a 2 MB SVG of stacked translucent groups takes cairo over 20 s, which
    would hold a web worker. Without libcairo on the machine the holder sees a placeholder.
    """
    if len(data) > MAX_SVG_BYTES or not looks_like_svg(data):
        return None
    command = [
        sys.executable, "-I", "-c", _DRAW_SVG,
        str(math.ceil(seconds)), str(SVG_DRAW_MEMORY), str(size),
    ]  # fmt: skip
    try:
        drawn = subprocess.run(command, input=data, capture_output=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        return None
    if drawn.returncode != 0 or not drawn.stdout:
        return None
    return reencode_raster(drawn.stdout, size)


def reencode(data: bytes, size: int = DISPLAY_SIZE) -> bytes | None:
    """Return data (raster or SVG) as a fresh PNG at most size×size, or None when unsafe."""
    if looks_like_svg(data):
        return rasterize_svg(data, size)
    return reencode_raster(data, size)


def reencode_raster(data: bytes, size: int = DISPLAY_SIZE) -> bytes | None:
    """Return data as a fresh PNG at most size×size, or None when it is not a safe raster image."""
    frame = _safe_frame(data, size, upright=False)
    if frame is None:
        return None
    frame.thumbnail((size, size))
    out = io.BytesIO()
    frame.save(out, format="PNG", optimize=True)
    return out.getvalue()


PHOTO_SIZE = 400


def reencode_photo(data: bytes, size: int = PHOTO_SIZE) -> bytes | None:
    """Return a holder's photo as our own square PNG (size×size at most), or None if unsafe.

    Raster formats only (no SVG), the same pixel bound as badge images; the camera's rotation
    is applied and then dropped with every other piece of metadata (EXIF places, dates, device).
    """
    frame = _safe_frame(data, size, upright=True)
    if frame is None:
        return None
    # The middle square: profile photos are shown round.
    side = min(frame.size)
    left, top = (frame.width - side) // 2, (frame.height - side) // 2
    square = frame.crop((left, top, left + side, top + side))
    if side > size:
        square = square.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _safe_frame(data: bytes, size: int, *, upright: bool) -> Image.Image | None:
    """Decode a raster image of a known format and bounded pixels as RGBA, or return None.

    With upright, the camera's EXIF rotation is applied first (photos).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in RASTER_FORMATS:
                    return None
                width, height = image.size
                if width <= 0 or height <= 0 or width * height > MAX_SOURCE_PIXELS:
                    return None
                image.draft("RGB" if upright else "RGBA", (size, size))
                source = ImageOps.exif_transpose(image) if upright else image
                return source.convert("RGBA")
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
