"""QR codes of public URLs: print-quality PNG and vector SVG (level M, 4-module quiet zone)."""

from __future__ import annotations

import io
import math
from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathFillImage

QUIET_ZONE = 4  # modules, ISO/IEC 18004 (notes/sharing.md §3)
MIN_PNG_PIXELS = 600
PNG_DPI = 600


def _code(url: str) -> qrcode.QRCode:
    """Return the fitted QR code for url: level M, smallest version that holds it."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=10)
    code.add_data(url)
    code.make(fit=True)
    return code


@lru_cache(maxsize=512)
def png(url: str) -> bytes:
    """Return a black-on-white PNG of url's QR code, at least 600 px wide, tagged 600 dpi."""
    code = _code(url)
    modules = code.modules_count + 2 * QUIET_ZONE
    code.box_size = math.ceil(MIN_PNG_PIXELS / modules)
    image = code.make_image(image_factory=PilImage)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(PNG_DPI, PNG_DPI), optimize=True)
    return out.getvalue()


@lru_cache(maxsize=512)
def svg(url: str) -> bytes:
    """Return url's QR code as one SVG path on a white background (1 mm per module, scalable)."""
    image = _code(url).make_image(image_factory=SvgPathFillImage)
    return image.to_string(encoding="utf-8")  # type: ignore[no-any-return]
