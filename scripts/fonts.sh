#!/usr/bin/env bash
# Provide the Japanese font the PDF documents embed (IPAexGothic, wallet/services/documents/fonts.py).
#
# Why this source: the IPA Font License v1.0 allows redistribution, and Debian's
# `fonts-ipaexfont-gothic` ships the very same ipaexg.ttf (IPAexGothic 004.01) as the PyPI copy in
# `matplotlib-fontja` (byte-identical, notes/stack.md §3.1) - without pulling matplotlib and numpy
# into the app, and without committing a 6 MB binary and its licence to the repository. The package
# installs in about a second, puts the file at a stable path the app finds by itself, and gets
# security/packaging updates with the OS. Elsewhere set WALLET_PDF_FONT_PATH to a TrueType font
# with Japanese glyphs (glyf outlines: ReportLab cannot embed CFF/OpenType-PostScript fonts).
set -euo pipefail
PACKAGE=fonts-ipaexfont-gothic
FONT=/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf
if [ -f "$FONT" ] || [ -n "${WALLET_PDF_FONT_PATH:-}" ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing $PACKAGE (Japanese font for the PDF documents)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "$PACKAGE" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$PACKAGE" >/dev/null; }
else
  echo "No Japanese font for the PDF documents: run 'apt-get install $PACKAGE' as root," >&2
  echo "or set WALLET_PDF_FONT_PATH to a TrueType font with Japanese glyphs." >&2
  echo "The wallet runs without it; certificate and card downloads will say what is missing." >&2
fi
