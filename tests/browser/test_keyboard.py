"""Keyboard only: sign in, add a badge by pasting it, make it private and public again."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests import badge_factory as bf
from tests.conftest import PASSWORD
from tests.conftest import make_user

# Where the focus is, and whether it can be seen (an outline or a ring).
FOCUS_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const visible = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
                  || style.boxShadow !== "none";
  return {tag: el.tagName.toLowerCase(), id: el.id,
          text: (el.textContent || "").trim().slice(0, 40), href: el.getAttribute("href"),
          role: el.getAttribute("role"), visible: visible};
}
"""


class Keyboard:
    """Moves through a page with Tab only and remembers focus stops that cannot be seen."""

    def __init__(self, tab: Any) -> None:
        self.tab = tab
        self.unseen: list[str] = []

    def tab_to(self, selector: str, limit: int = 40) -> dict[str, Any]:
        """Press Tab until the element matching selector has the focus."""
        page = self.tab.page
        for _ in range(limit):
            page.keyboard.press("Tab")
            focus = page.evaluate(FOCUS_JS)
            if focus and not focus["visible"]:
                self.unseen.append(f"{self.tab.url}: {focus}")
            if page.evaluate("s => document.activeElement.matches(s)", selector):
                return focus
        raise AssertionError(f"{selector} cannot be reached with Tab on {self.tab.url}")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_keyboard_only_import_and_disclosure(open_tab, live_server, lang: str) -> None:
    """Everything reachable with Tab, Enter and Space; focus always visible; focus kept on swap."""
    email = f"keyboard-{lang}@example.com"
    app = live_server.app
    with app.app_context():
        make_user(email, language=lang)
    tab = open_tab("desktop", lang, name=f"keyboard-{lang}")
    keys = Keyboard(tab)
    page = tab.page

    tab.goto("/auth/login")
    keys.tab_to("#email")
    page.keyboard.type(email)
    keys.tab_to("#password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/$"))

    keys.tab_to("main a[href$='/badges/import']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/badges/import$"))
    keys.tab_to("#import-text")
    page.keyboard.insert_text(bf.vc_jwt(email=email, name="コンクリート診断士"))
    keys.tab_to("form:has(#import-text) button[type=submit]")
    tab.shot("import-by-keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/badges/\d+$"))

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')"), (
        "the first Tab stop is the skip link"
    )
    navigations = tab.navigations()
    switch = "#visibility-switch [role=switch]"
    keys.tab_to(switch)
    tab.shot("switch-focused")
    for expected in ("false", "true"):
        page.keyboard.press("Space")
        page.wait_for_selector(f"{switch}[aria-checked={expected}]")
        tab.htmx_settled()  # the swapped switch posts through htmx only then, not as a form
        page.wait_for_load_state()
        assert page.evaluate("s => document.activeElement.matches(s)", switch), (
            "the focus stays on the switch after it is swapped"
        )
        tab.shot(f"switch-{'private' if expected == 'false' else 'public'}")
    assert tab.navigations() == navigations, "the switch did not reload the page"
    assert not keys.unseen, "focus stops without a visible focus indicator:\n" + "\n".join(
        keys.unseen
    )
