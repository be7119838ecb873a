"""The live class in Chromium: one teacher page and three student pages (separate browser
contexts), against the real server. Students follow a step change, a picture upload and a
window move; three answers make the projector's tally; exploring and "Back to teacher";
lock and pause; a reloaded student page is back in the class.

The flows also take the docs' screenshots, into a temporary folder unless asked:
`CONVSCOPE_SHOTS_DIR=docs/screenshots python -m pytest tests/e2e/test_live_class.py`."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.e2e.conftest import open_app

# a test run must not rewrite the repository's files
SHOTS = Path(os.environ.get("CONVSCOPE_SHOTS_DIR") or tempfile.mkdtemp(prefix="convscope-shots-"))
STATE = "() => JSON.parse(JSON.stringify(window.convscope.state))"


def serious(page) -> list[str]:
    """axe-core's serious or critical violations in the live class's own elements."""
    from axe_playwright_python.sync_playwright import Axe

    mine = [f"#{i}" for i in page.evaluate(
        "() => [...document.querySelectorAll('[id^=live-]')].filter((e) => !e.hidden && "
        "!e.parentElement.closest('[id^=live-]')).map((e) => e.id)")]
    assert mine, "no live-class element shown"
    results = Axe().run(page, context={"include": [[m] for m in mine]})
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] for n in v["nodes"][:3])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def st(page) -> dict:
    return page.evaluate(STATE)


def same_as(student, teacher, *keys: str, timeout: float = 10_000) -> None:
    """Wait until the student's state has the teacher's values for `keys`."""
    want = {k: st(teacher)[k] for k in keys}
    student.wait_for_function(
        "(want) => Object.entries(want).every(([k, v]) => "
        "JSON.stringify(window.convscope.state[k]) === JSON.stringify(v))", arg=want,
        timeout=timeout)


def new_page(browser, width: int, height: int, **kw):
    context = browser.new_context(viewport={"width": width, "height": height}, **kw)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.set_default_timeout(40_000)  # a page's first draw took 19 s on today's loaded machine
    return page


@pytest.fixture(scope="module")
def room(browser, live_server):
    """A teacher at 1024×768 in classroom mode who started a class; three joined students."""
    teacher = new_page(browser, 1024, 768)
    open_app(teacher, live_server, "step=2&mode=class&ctl=0")
    teacher.click("#live-button")
    teacher.click("#live-start")
    teacher.wait_for_selector("#live-join:not([hidden])")
    code = teacher.text_content("#live-code")
    students = []
    for _ in range(3):
        s = new_page(browser, 390, 844)
        s.goto(f"{live_server.url}/join/{code}")
        s.wait_for_selector("#live-joincard:not([hidden])")
        if not students:
            s.wait_for_selector("body[data-ready]")
            assert serious(s) == []  # axe: the join card
        s.click("#live-join-button")
        s.wait_for_selector("#live-sbar:not([hidden])")
        s.wait_for_selector("body[data-ready]")
        students.append(s)
    yield {"teacher": teacher, "students": students, "code": code, "url": live_server.url}
    for p in (teacher, *students):
        p.context.close()


def test_the_projector_shows_a_readable_code_a_qr_code_and_the_address(room):
    t = room["teacher"]
    code = room["code"]
    assert len(code) == 6 and not set(code) & set("01OI")
    assert t.text_content("#live-url") == f"{room['url']}/join/{code}"
    box = t.locator("#live-code").bounding_box()
    size = t.evaluate("() => parseFloat(getComputedStyle(document.getElementById('live-code'))"
                      ".fontSize)")
    assert size >= 100, size  # ~1/7 of a 768-px-high screen: readable from the back
    qr = t.locator("#live-qr").bounding_box()
    assert qr["width"] >= 400 and qr["height"] >= 400
    assert box["x"] + box["width"] <= qr["x"]  # side by side, not overlapping
    assert t.evaluate("() => document.getElementById('live-qr').naturalWidth") > 0  # loaded
    assert "secret" not in t.text_content("#live-join").lower()
    assert serious(t) == []  # axe: the code overlay
    SHOTS.mkdir(exist_ok=True)
    t.screenshot(path=str(SHOTS / "live-projector-classroom-1024x768.png"))
    t.click("#live-join-hide")
    assert t.locator("#live-join").is_hidden()


def test_students_follow_a_step_change_a_window_move_and_an_upload(room):
    t, students = room["teacher"], room["students"]
    for s in students:
        same_as(s, t, "step", "img", "f", "pos")
    t.click("#next-step")  # step 3
    assert st(t)["step"] == 3
    for s in students:
        same_as(s, t, "step")
    t.wait_for_selector("body[data-view=stepper]")
    t.keyboard.press("Home")  # step 3 opens playing; the first position stops it
    t.wait_for_timeout(300)
    t.keyboard.press("ArrowDown")  # a row down
    t.wait_for_timeout(300)
    before = st(t)["pos"]
    assert before == 28  # row 1, col 0 of the 28×28 map
    for _ in range(5):
        t.keyboard.press("ArrowLeft")  # the window moves back along the row
    assert st(t)["pos"] == before - 5
    for s in students:
        same_as(s, t, "pos")
        assert s.text_content("#live-status").endswith("following")
    pixels = np.random.default_rng(3).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    t.set_input_files("#file-input", files=[{"name": "class.png", "mimeType": "image/png",
                                             "buffer": buf.getvalue()}])
    t.wait_for_function("() => window.convscope.state.img.length === 64")
    for s in students:
        same_as(s, t, "img")
        # the student's page drew the uploaded picture's layer
        s.wait_for_function("(id) => window.convscope.current()?.body.image_id === id",
                            arg=st(t)["img"])
        assert s.errors == []
    t.click("#toggle-controls")  # the drawer, to pick a picture
    t.click('#samples button[data-image="sample-car"]')  # and back to a built-in picture
    t.click("#toggle-controls")
    for s in students:
        s.wait_for_function("() => window.convscope.current()?.body.image_id === 'sample-car'")


def test_three_answers_make_the_projectors_tally(room):
    t, students = room["teacher"], room["students"]
    t.select_option("#live-ask", "output_size")
    t.wait_for_selector("#live-tally:not([hidden])")
    expected = st(t)["size"] - 5 + 1  # 5×5 filter, stride 1, no padding
    for s, value in zip(students, (expected, expected, expected + 4), strict=True):
        s.wait_for_selector("#live-question:not([hidden])")
        assert "how many columns" in s.text_content("#live-q-prompt")
        s.fill("#live-q-input", str(value))
        s.click("#live-q-send")
        s.wait_for_function("() => document.getElementById('live-q-state').textContent"
                            ".startsWith('Sent')")
    t.wait_for_function("() => document.getElementById('live-tally-count').dataset.answered"
                        " === '3'")
    assert serious(t) == []  # axe: the bar and the tally
    assert serious(students[0]) == []  # the following bar and the question card
    assert t.text_content("#live-tally-count").startswith("3 of 3 answered")
    chart = t.evaluate("() => { const d = document.getElementById('live-tally-chart').data[0];"
                       " return {x: d.x.map((s) => s.replace(/\\u200b/g, '')), y: d.y}; }")
    assert chart == {"x": [str(expected), str(expected + 4)], "y": [2, 1]}
    t.click("#live-reveal")
    t.wait_for_function("() => document.getElementById('live-tally-count').textContent"
                        ".includes('Answer:')")
    t.screenshot(path=str(SHOTS / "live-tally-classroom-1024x768.png"))
    colours = t.evaluate("() => document.getElementById('live-tally-chart').data[0].marker.color")
    assert colours[0] != colours[1]  # the right answer's bar is marked
    for s, mark in zip(students, ("✓", "✓", "yours"), strict=True):
        s.wait_for_function("() => document.getElementById('live-q-state').textContent"
                            ".startsWith('The answer')")
        assert mark in s.text_content("#live-q-state")
        assert s.locator("#live-q-input").is_disabled()
        s.click("#live-q-close")  # put away
        assert s.locator("#live-question").is_hidden()
    t.click("#live-hide-tally")


def test_a_student_explores_and_snaps_back(room):
    t, s = room["teacher"], room["students"][0]
    same_as(s, t, "pos", "step")
    s.click("#step-title")  # focus the page, not an input
    for _ in range(3):
        s.keyboard.press("ArrowDown")  # the student moves the window on their own: a row down
    s.wait_for_selector("#live-back:not([hidden])")
    own = st(s)["pos"]
    assert own != st(t)["pos"]
    assert "exploring" in s.text_content("#live-status")
    t.keyboard.press("ArrowRight")  # the teacher moves on: the explorer keeps their own view
    t.wait_for_timeout(800)
    assert st(s)["pos"] == own
    s.keyboard.press("t")  # one key back to the teacher
    same_as(s, t, "pos")
    assert s.locator("#live-back").is_hidden()
    assert s.locator("#blank").is_hidden()  # not the projector's black screen
    s.keyboard.press("ArrowDown")  # and again, with the button this time
    s.wait_for_selector("#live-back:not([hidden])")
    s.click("#live-back")
    same_as(s, t, "pos")


def test_the_class_bar_folds_away_and_back(room):
    t = room["teacher"]
    assert t.locator("#live-bar").is_visible()
    t.click("#live-bar-hide")
    assert t.locator("#live-bar").is_hidden()
    assert t.get_attribute("#live-button", "aria-expanded") == "false"
    t.click("#live-button")  # "Live ●" in the top bar: the bar again, still the same class
    assert t.locator("#live-bar").is_visible()
    assert t.get_attribute("#live-button", "aria-label").startswith(f"Class {room['code']}")


def test_lock_and_pause(room):
    t, students = room["teacher"], room["students"]
    t.click("#live-lock")
    s = students[1]
    s.wait_for_function("() => document.body.classList.contains('live-locked')")
    before = st(t)["pos"]
    s.click("#step-title")
    s.keyboard.press("ArrowDown")  # locked: the view goes straight back to the teacher's
    s.wait_for_timeout(500)
    assert st(s)["pos"] == before and s.locator("#live-back").is_hidden()
    assert "locked" in s.text_content("#live-status")
    t.click("#live-lock")
    s.wait_for_function("() => !document.body.classList.contains('live-locked')")

    t.click("#live-pause-button")
    for p in students:
        p.wait_for_selector("#live-pause:not([hidden])")
        assert "Paused" in p.text_content("#live-pause")
    assert t.locator("#live-pause").is_hidden()  # not on the projector
    t.click("#live-pause-button")
    for p in students:
        p.wait_for_selector("#live-pause", state="hidden")


def test_a_reloaded_student_page_is_back_in_the_class(room):
    t, s = room["teacher"], room["students"][2]
    s.reload()
    s.wait_for_selector("body[data-ready]")
    s.wait_for_selector("#live-sbar:not([hidden])")
    assert s.locator("#live-joincard").is_hidden()  # no second join
    t.click("#next-step")  # step 4
    same_as(s, t, "step", "img")
    assert st(s)["step"] == 4
    s.wait_for_function("() => document.getElementById('live-status').textContent"
                        ".endsWith('following')")


def test_a_dropped_connection_reconnects_by_itself_and_misses_nothing(browser, tmp_path):
    """Its own server, whose streams end every 2 s: while a student is offline, the stream
    ends and reconnecting fails; back online, EventSource catches up with Last-Event-ID."""
    import threading

    from werkzeug.serving import make_server

    from app import create_app

    app = create_app({"DATA_DIR": tmp_path, "STORE": "disk", "CLASS_STREAM_SECONDS": 2})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    t, s = new_page(browser, 1024, 768), new_page(browser, 390, 844)
    try:
        open_app(t, type("L", (), {"url": url})(), "step=2")
        t.click("#live-button")
        t.click("#live-start")
        t.click("#live-join-hide")
        s.goto(f"{url}/join/{t.text_content('#live-code')}")
        s.click("#live-join-button")
        s.wait_for_selector("body[data-ready]")
        s.context.set_offline(True)  # the school Wi-Fi drops
        s.wait_for_function("() => document.getElementById('live-status').textContent"
                            ".includes('reconnecting')")
        for _ in range(4):
            t.keyboard.press("ArrowRight")  # events while the student is away
        t.click("#next-step")
        t.wait_for_selector("body[data-view=stepper]")
        t.keyboard.press("End")  # step 3 opens playing: stop at the last position
        s.context.set_offline(False)
        same_as(s, t, "step", "pos", timeout=20_000)
        s.wait_for_function("() => document.getElementById('live-status').textContent"
                            ".endsWith('following')", timeout=20_000)
        assert s.errors == [] and t.errors == []
    finally:
        t.context.close()
        s.context.close()
        server.shutdown()


def test_a_reloaded_teacher_page_goes_on_driving(room):
    t, s = room["teacher"], room["students"][0]
    t.reload()
    t.wait_for_selector("body[data-ready]")
    assert t.get_attribute("#live-button", "aria-label").startswith(f"Class {room['code']}")
    t.click("#next-step")
    same_as(s, t, "step")


def test_a_phone_follows(room, browser):
    t = room["teacher"]
    phone = new_page(browser, 390, 844, is_mobile=True, has_touch=True, device_scale_factor=2)
    phone.goto(f"{room['url']}/join/{room['code']}")
    phone.wait_for_selector("#live-joincard:not([hidden])")
    phone.fill("#live-nick-input", "Ada")
    phone.tap("#live-join-button")
    phone.wait_for_selector("body[data-ready]")
    t.click('#step-list button[data-step="3"]')  # step 3: the feature map
    t.wait_for_selector("body[data-view=stepper]")
    t.keyboard.press("Home")  # step 3 opens playing: stop it
    t.evaluate("() => window.convscope.update({pos: 12 * 28 + 9})")  # the window on the car
    same_as(phone, t, "step", "img", "pos")
    assert phone.locator("#live-question").is_hidden()  # the question was over before it came
    phone.wait_for_timeout(800)
    phone.screenshot(path=str(SHOTS / "live-student-phone-390x844.png"))
    assert phone.errors == []
    phone.context.close()


def test_a_typed_code_joins_and_a_wrong_one_is_explained(room, browser):
    s = new_page(browser, 1280, 720)
    open_app(s, type("L", (), {"url": room["url"]})())
    s.click("#live-button")
    s.click("#live-open-join")
    s.fill("#live-code-input", "ZZZZZZ")
    s.click("#live-join-button")
    s.wait_for_function("() => document.getElementById('live-join-error').textContent !== ''")
    assert "No class has this code" in s.text_content("#live-join-error")
    s.fill("#live-code-input", room["code"].lower())  # typed in lower case: fine
    s.click("#live-join-button")
    s.wait_for_selector("#live-sbar:not([hidden])")
    same_as(s, room["teacher"], "step")
    s.context.close()


def test_ending_the_class_frees_the_students(room):
    t, students = room["teacher"], room["students"]
    t.click("#live-end")
    for s in students:
        s.wait_for_selector("#live-ended:not([hidden])")
        assert s.locator("#live-sbar").is_hidden()
        assert s.errors == []
    assert t.locator("#live-bar").is_hidden()
    assert t.text_content("#live-button") == "Live"
    assert t.errors == []
