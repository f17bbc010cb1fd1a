"""Issuer images become our own bounded PNGs: rasters re-encoded, SVG drawn without resources."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from wallet.services import images

RED_CIRCLE = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
    b'<circle cx="50" cy="50" r="40" fill="#ff0000"/></svg>'
)


def _png(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_svg_is_drawn_as_a_bounded_png() -> None:
    png = images.reencode(RED_CIRCLE)
    assert png is not None and png.startswith(b"\x89PNG")
    image = _png(png)
    assert max(image.size) <= images.DISPLAY_SIZE
    assert image.convert("RGB").getpixel((image.width // 2, image.height // 2)) == (255, 0, 0)


def test_svg_external_references_are_never_loaded(tmp_path) -> None:
    import socket

    secret = tmp_path / "secret.png"
    Image.new("RGB", (10, 10), (0, 255, 0)).save(secret)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
        b'<rect width="100" height="100" fill="#ffffff"/>'
        b'<image href="file://' + str(secret).encode() + b'" width="100" height="100"/>'
        b'<image href="http://127.0.0.1:%d/x.png" width="100" height="100"/></svg>' % port
    )
    try:
        png = images.reencode(svg)
        with pytest.raises(TimeoutError):
            listener.accept()  # the drawing process never connected
    finally:
        listener.close()
    assert png is not None
    assert _png(png).convert("RGB").getpixel((50, 50)) == (255, 255, 255)


def test_svg_too_costly_to_draw_is_stopped_at_the_deadline() -> None:
    groups = b'<g opacity="0.5"><rect width="100" height="100"/></g>' * 30_000
    costly = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">' + groups + b"</svg>"
    )
    assert len(costly) < images.MAX_SVG_BYTES  # accepted by size; cairo needs ~20 s for it
    assert images.rasterize_svg(costly, seconds=1) is None
    assert images.rasterize_svg(RED_CIRCLE, seconds=10) is not None


@pytest.mark.parametrize(
    "hostile",
    [
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>',
        b"<svg not even xml",
        b"<svg" + b" " * (images.MAX_SVG_BYTES + 1),
    ],
)
def test_hostile_svg_gives_no_image(hostile: bytes) -> None:
    assert images.reencode(hostile) is None


def test_raster_images_are_re_encoded_and_non_images_refused() -> None:
    out = io.BytesIO()
    Image.new("RGB", (2000, 1000), (0, 0, 255)).save(out, format="JPEG")
    png = images.reencode(out.getvalue())
    assert png is not None and _png(png).size == (512, 256)
    assert images.reencode(b"GIF89a not really") is None
    assert images.reencode(b"%PDF-1.7") is None
