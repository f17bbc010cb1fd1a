"""Safe JSON loading: size and depth checked before parsing, duplicate keys and NaN refused."""

from __future__ import annotations

import json
import re
from typing import Any

from wallet.openbadges.errors import ParseError
from wallet.openbadges.errors import TooLarge
from wallet.openbadges.limits import DEFAULT_LIMITS
from wallet.openbadges.limits import Limits

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def to_text(data: bytes | str) -> str:
    """Decode UTF-8 bytes (a leading BOM is dropped); text passes through."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError("text is not valid UTF-8", reason="input.not_utf8") from exc


def max_depth(text: str) -> int:
    """Return the deepest bracket nesting of a JSON text, ignoring brackets inside strings."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _reject_constant(name: str) -> Any:
    raise ParseError(f"JSON constant {name} is not allowed")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            # Parsers disagree on which duplicate wins, so a signer and a reader could see
            # different documents: refuse instead of picking one.
            raise ParseError(f"duplicate JSON key {key!r}", reason="input.json_duplicate_key")
        result[key] = value
    return result


def loads(data: bytes | str, *, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse JSON within the size and depth limits; raise ParseError or TooLarge."""
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > limits.max_json_bytes:
        raise TooLarge(f"JSON document larger than {limits.max_json_bytes} bytes")
    text = to_text(data)
    if max_depth(text) > limits.max_json_depth:
        raise TooLarge(f"JSON nested deeper than {limits.max_json_depth} levels")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except ParseError:
        raise
    except json.JSONDecodeError as exc:
        where = {"line": str(exc.lineno), "column": str(exc.colno)}
        raise ParseError(
            f"malformed JSON: {exc}", reason="input.json_syntax_at", params=where
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"malformed JSON: {exc}", reason="input.json_syntax") from exc


def loads_object(data: bytes | str, *, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Parse JSON that must be an object; raise ParseError otherwise."""
    value = loads(data, limits=limits)
    if not isinstance(value, dict):
        raise ParseError("JSON document is not an object", reason="input.json_not_object")
    return value
