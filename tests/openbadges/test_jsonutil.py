"""Safe JSON loading: depth, size, duplicates and constants."""

from __future__ import annotations

import time

import pytest

from wallet.openbadges.errors import ParseError
from wallet.openbadges.errors import TooLarge
from wallet.openbadges.jsonutil import loads
from wallet.openbadges.jsonutil import loads_object
from wallet.openbadges.jsonutil import max_depth
from wallet.openbadges.limits import Limits


def test_plain_object_loads() -> None:
    assert loads_object('{"a": [1, {"b": "c"}]}') == {"a": [1, {"b": "c"}]}


def test_bom_and_bytes_are_accepted() -> None:
    assert loads_object('\ufeff{"a": 1}'.encode()) == {"a": 1}


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_ten_thousand_deep_raises_too_large_fast(opener: str) -> None:
    text = opener * 10_000
    start = time.perf_counter()
    with pytest.raises(TooLarge):
        loads(text)
    assert time.perf_counter() - start < 1.0


def test_depth_limit_is_exact() -> None:
    limits = Limits(max_json_depth=3)
    assert loads("[[[1]]]", limits=limits) == [[[1]]]
    with pytest.raises(TooLarge):
        loads("[[[[1]]]]", limits=limits)


def test_brackets_inside_strings_do_not_count() -> None:
    assert max_depth('{"a": "[[[[[[\\"]]]"}') == 1
    assert loads('{"a": "' + "[" * 500 + '"}')["a"] == "[" * 500


def test_size_limit() -> None:
    with pytest.raises(TooLarge):
        loads('"' + "x" * 200 + '"', limits=Limits(max_json_bytes=100))


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(ParseError, match="duplicate"):
        loads('{"id": "a", "id": "b"}')


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}'])
def test_non_finite_constants_are_refused(text: str) -> None:
    with pytest.raises(ParseError):
        loads(text)


@pytest.mark.parametrize("text", ["", "{", '{"a": 1} trailing', "1" * 5000, "\xff", "{'a': 1}"])
def test_malformed_json_raises_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        loads(text)


def test_invalid_utf8_bytes() -> None:
    with pytest.raises(ParseError):
        loads(b'{"a": "\xff"}')


def test_non_object_is_refused_by_loads_object() -> None:
    with pytest.raises(ParseError):
        loads_object("[1, 2]")
