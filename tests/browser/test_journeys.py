"""The holder's journeys on a phone and a desktop, in Japanese and English, with and without JS."""

from __future__ import annotations

import pytest

from tests.browser.journeys import Journey
from tests.browser.journeys import run_journey

CASES = [
    pytest.param(viewport, lang, id=f"{viewport}-{lang}")
    for viewport in ("phone", "desktop")
    for lang in ("ja", "en")
]


def check_journey(journey: Journey) -> None:
    """Every step left its trace: four badges (three imported, one claimed) and three PDFs."""
    assert len(journey.badge_ids) == 4, journey.badge_names
    assert len(set(journey.badge_ids)) == 4, journey.badge_ids
    assert sorted(journey.downloads) == ["card", "certificate", "details"], list(journey.downloads)


@pytest.mark.parametrize(("viewport", "lang"), CASES)
def test_journey_with_htmx(open_tab, viewport: str, lang: str) -> None:
    """Register → confirm → sign in → import → disclose → documents → share → claim → leave."""
    tab = open_tab(viewport, lang)
    visitor = open_tab(viewport, lang, name=f"{viewport}-{lang}-visitor")
    journey = run_journey(tab, visitor, f"htmx-{viewport}-{lang}@example.com")
    assert tab.cdn_hits >= 1, "htmx was loaded from its CDN URL"
    check_journey(journey)


@pytest.mark.parametrize(("viewport", "lang"), CASES)
def test_journey_without_javascript(open_tab, viewport: str, lang: str) -> None:
    """The same journey through plain forms and links, JavaScript off."""
    tab = open_tab(viewport, lang, js=False)
    visitor = open_tab(viewport, lang, js=False, name=f"{viewport}-{lang}-nojs-visitor")
    journey = run_journey(tab, visitor, f"plain-{viewport}-{lang}@example.com")
    assert tab.cdn_hits == 0, "no script is fetched with JavaScript off"
    check_journey(journey)
