"""Size, depth and count caps applied to every untrusted input the library reads."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """All caps in one place; pass a custom instance to tighten or relax them."""

    max_input_bytes: int = 10 * MIB
    max_png_chunks: int = 4096
    max_text_chunk_bytes: int = 2 * MIB
    max_inflated_bytes: int = 2 * MIB
    max_json_bytes: int = 2 * MIB
    max_json_depth: int = 64
    max_jws_bytes: int = 2 * MIB
    max_svg_bytes: int = 5 * MIB
    max_svg_elements: int = 50_000
    max_svg_depth: int = 256
    max_url_length: int = 2048
    max_proofs: int = 8
    max_fetches: int = 12
    max_list_items: int = 1000
    # CPU seconds of JSON-LD work (expansion, RDF, canonicalisation) for one verification.
    jsonld_seconds: float = 1.0


DEFAULT_LIMITS = Limits()
