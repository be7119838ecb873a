"""Accessibility: axe-core (bundled by axe-playwright-python, works offline) finds no serious
or critical violation on any lesson step, normal or classroom; the keyboard reaches the
controls with a visible focus."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import open_app


def serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] for n in v["nodes"][:3])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("mode", ["", "&mode=class&ctl=0"])
def test_no_serious_violations_on_any_step(page, live_server, mode):
    problems = {}
    for step in range(1, 11):
        open_app(page, live_server, f"img=sample-car&step={step}{mode}")
        page.wait_for_selector("#busy[hidden]", state="attached")
        found = serious(page)
        if found:
            problems[step] = found
    assert problems == {}


def test_keyboard_reaches_the_controls_with_a_visible_focus(page, live_server):
    open_app(page, live_server, "img=sample-car&step=2")
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("""() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          return {label: el.getAttribute('aria-label') || el.textContent.trim(),
                  outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2};
        }"""))
    labels = [s["label"] for s in seen]
    assert labels[0] == "Skip to the lesson"
    assert "Previous lesson step" in labels
    assert all(s["outline"] for s in seen), seen
    # The step result is announced to screen readers.
    assert page.get_attribute("#st-live", "aria-live") == "polite"
