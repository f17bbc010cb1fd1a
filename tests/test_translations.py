"""The Japanese catalogue covers every UI string in the code, with no fuzzy or broken entries."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.catalog import Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
JA_PO = ROOT / "wallet" / "translations" / "ja" / "LC_MESSAGES" / "messages.po"

# Named placeholders (%(name)s, %(size)d) and escaped percent signs; a bare `%` is left alone
# because messages without variables (e.g. the list of password symbols) are never formatted.
NAMED = re.compile(r"%\((\w+)\)[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _texts(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _label(message: Message) -> str:
    ident = message.id if isinstance(message.id, str) else message.id[0]
    where = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
    return f"{ident!r} ({where})" if where else repr(ident)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The message template extracted afresh from the code, as `make`/the README does it."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    here = Path.cwd()
    os.chdir(ROOT)  # relative paths, so failures name files as the catalogue does
    try:
        CommandLineInterface().run(
            ["pybabel", "--quiet", "extract", "-F", "babel.cfg", "-k", "_l", "-o", str(pot), "."]
        )
    finally:
        os.chdir(here)
    with pot.open("rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="module")
def japanese() -> Catalog:
    """The Japanese catalogue as committed."""
    with JA_PO.open("rb") as handle:
        return read_po(handle, locale="ja")


def test_extraction_finds_the_ui_strings(template: Catalog) -> None:
    ids = {message.id for message in template if message.id}
    assert "Badge Wallet" in ids
    assert "Please sign in to continue." in ids  # a lazy `_l` string from Python
    assert len(ids) > 100


def test_every_extracted_message_is_translated_into_japanese(
    template: Catalog, japanese: Catalog
) -> None:
    problems = []
    for message in template:
        if not message.id:
            continue
        entry = japanese.get(message.id, message.context)
        if entry is None:
            problems.append(f"missing from ja: {_label(message)}")
        elif not all(text.strip() for text in _texts(entry.string)):
            problems.append(f"untranslated in ja: {_label(message)}")
    assert not problems, (
        f"{len(problems)} message(s) need a Japanese translation; run the extract/update "
        "commands in the README and fill wallet/translations/ja/LC_MESSAGES/messages.po:\n"
        + "\n".join(problems)
    )


def test_no_fuzzy_entries(japanese: Catalog) -> None:
    fuzzy = [_label(message) for message in japanese if message.id and message.fuzzy]
    assert not fuzzy, "fuzzy entries in ja (check and clear the flag):\n" + "\n".join(fuzzy)


def test_plural_entries_have_every_form(japanese: Catalog) -> None:
    assert japanese.num_plurals == 1
    for message in japanese:
        if message.pluralizable and message.string:
            assert len(_texts(message.string)) == japanese.num_plurals, _label(message)


def test_placeholders_match(japanese: Catalog) -> None:
    problems = []
    for message in japanese:
        if not message.id:
            continue
        sources = _texts(message.id)
        wanted = set().union(*(NAMED.findall(source) for source in sources))
        percents = {source.count("%%") for source in sources}
        for text in _texts(message.string):
            if not text:
                continue
            found = set(NAMED.findall(text))
            if found != wanted:
                problems.append(f"{_label(message)}: {sorted(found)} != {sorted(wanted)}")
            if text.count("%%") not in percents:
                problems.append(f"{_label(message)}: the number of '%%' differs")
    assert not problems, "placeholders differ between msgid and msgstr:\n" + "\n".join(problems)


def test_catalogue_passes_babel_checks(japanese: Catalog) -> None:
    errors = [
        f"{_label(message)}: {'; '.join(str(error) for error in found)}"
        for message, found in japanese.check()
    ]
    assert not errors, "\n".join(errors)
