"""A video file of a QR code, for Chromium's fake camera (--use-file-for-fake-video-capture)."""

from __future__ import annotations

from pathlib import Path

import qrcode
from PIL import Image

SIZE = 720  # pixels a side: a dense offer's modules stay several pixels wide
FRAMES = 3


def qr_video(text: str, path: Path) -> Path:
    """Write text as a QR code on white into a Y4M (4:2:0) file Chromium plays in a loop."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    picture = code.make_image(fill_color="black", back_color="white").get_image()
    frame = Image.new("RGB", (SIZE, SIZE), "white")
    side = SIZE - 40
    frame.paste(picture.convert("RGB").resize((side, side), Image.Resampling.NEAREST), (20, 20))
    luma, blue, red = frame.convert("YCbCr").split()
    half = (SIZE // 2, SIZE // 2)
    planes = luma.tobytes() + blue.resize(half).tobytes() + red.resize(half).tobytes()
    header = f"YUV4MPEG2 W{SIZE} H{SIZE} F10:1 Ip A1:1 C420jpeg\n".encode("ascii")
    path.write_bytes(header + b"".join(b"FRAME\n" + planes for _ in range(FRAMES)))
    return path
