"""The explorer's controls in Chromium: filters (add, remove, hand-edited weights, the trained
network's), clicks on the maps, drag and drop, the webcam's absence explained."""

from __future__ import annotations

import base64
import io

from PIL import Image

from tests.e2e.conftest import click_cell, open_app, state


def test_add_remove_and_edit_filters(page, live_server):
    open_app(page, live_server, "img=sample-car&f=sobel_x&step=2")
    page.select_option("#add-filter", "laplacian")
    page.wait_for_function("() => window.convscope.state.f.join() === 'sobel_x,laplacian'")
    assert state(page)["fi"] == 1
    page.wait_for_function("() => document.querySelectorAll('#filter-list li').length === 2")
    # Hand-edit filter 2: all weights 0 except the centre's red weight 2, bias 0.5.
    page.click("#edit-filter")
    page.wait_for_selector("#weights-dialog[open]")
    page.eval_on_selector_all("#weights-editor [data-at]", "els => els.forEach(e => e.value = 0)")
    page.fill('#weights-editor [data-at="36"]', "2")  # row 2, col 2, red: (2·5 + 2)·3 + 0
    page.fill("#edit-bias", "0.5")
    page.click("#weights-apply")
    page.wait_for_function("() => window.convscope.state.f[1].startsWith('w_5_')")
    # The value at (0, 0) is 2 × the red pixel at (2, 2) + 0.5.
    page.wait_for_function("() => document.querySelector('#st-filter').selectedOptions[0]"
                           ".textContent.includes('hand-made')")
    body = {"image_id": "sample-car", "size": 32, "filters": [{"preset": "sobel_x"}]}
    res = live_server.post_json("/api/conv", body)
    raw = base64.b64decode(res["image"]["bdata"])
    red = raw[(2 * 32 + 2) * 3]
    page.focus("main")
    page.keyboard.press("Home")
    expected = f"{2 * (red / 255) + 0.5:.2f}"
    page.wait_for_function("v => document.querySelector('#step-value').textContent === v",
                           arg=expected)
    page.click("#filter-list li:nth-child(1) .remove")
    page.wait_for_function("() => window.convscope.state.f.length === 1")
    assert page.is_disabled("#filter-list li .remove")  # a layer keeps at least one filter
    page.click("#use-trained")
    page.wait_for_function("() => window.convscope.state.f[0] === 'lenet.conv1.0'")
    assert len(state(page)["f"]) == 6
    assert page.errors == []


def test_clicks_on_the_maps_move_the_window(page, live_server):
    open_app(page, live_server, "img=sample-car&f=sobel_x&step=2")
    page.wait_for_selector("#st-output .nsewdrag")
    # Click the middle of the feature map's cell (row 20, col 7) of 28×28.
    click_cell(page, "#st-output", 20, 7, 28)
    page.wait_for_function("() => window.convscope.state.pos === 20 * 28 + 7")
    # A pixel (10, 10) of the 32×32 picture: the window centred there starts at (8, 8).
    click_cell(page, "#st-input", 10, 10, 32)
    page.wait_for_function("() => window.convscope.state.pos === 8 * 28 + 8")
    assert page.errors == []


def test_drop_a_picture(page, live_server):
    open_app(page, live_server, "step=1")
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 30)).save(buf, "PNG")
    data = buf.getvalue()
    page.evaluate("""b64 => {
      const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], "green.png", {type: "image/png"}));
      document.getElementById("main").dispatchEvent(
        new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""", base64.b64encode(data).decode())
    digest = live_server.image_id(data)
    page.wait_for_function("d => window.convscope.state.img === d", arg=digest)
    assert page.errors == []


def test_no_webcam_is_explained(page, live_server):
    open_app(page, live_server, "step=1")
    page.click("#webcam-button")
    toast = page.wait_for_selector("#toast:not([hidden])")
    assert "camera" in toast.text_content()
    assert page.is_hidden("#webcam")


def png(color: tuple[int, int, int], side: int = 24) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (side, side), color).save(buf, "PNG")
    return buf.getvalue()


def test_paste_a_picture(page, live_server):
    open_app(page, live_server, "step=1")
    data = png((200, 200, 10))
    page.evaluate("""b64 => {
      const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], "pasted.png", {type: "image/png"}));
      document.dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true}));
    }""", base64.b64encode(data).decode())
    page.wait_for_function("d => window.convscope.state.img === d",
                           arg=live_server.image_id(data))
    assert page.errors == []


def test_a_picture_the_server_forgot_is_uploaded_again(page, live_server):
    open_app(page, live_server, "step=2")
    data = png((30, 60, 220), side=40)
    digest = live_server.image_id(data)
    page.set_input_files("#file-input", files=[{"name": "b.png", "mimeType": "image/png",
                                                  "buffer": data}])
    page.wait_for_function("d => window.convscope.state.img === d", arg=digest)
    for f in live_server.data_dir.rglob(f"{digest}*"):  # the store loses it
        f.unlink()
    uploads = []
    page.on("request", lambda r: r.url.endswith("/api/images") and uploads.append(r))
    page.click('[data-size="16"]')  # a new size: the server must read the picture again
    page.wait_for_function("() => document.querySelector('.player .where').textContent"
                           ".endsWith('of 144')")
    assert len(uploads) == 1
    assert page.evaluate("() => window.convscope.state.img") == digest


def test_an_unknown_picture_in_a_shared_url_falls_back_to_a_sample(page, live_server):
    page.goto(f"{live_server.url}/?img={'ab' * 32}&step=2")
    toast = page.wait_for_selector("#toast:not([hidden])")
    page.wait_for_function("() => window.convscope && "
                           "window.convscope.state.img === 'sample-car'")
    assert "no longer has this picture" in toast.text_content()
    page.wait_for_selector("#step-value")


def test_webcam_capture_with_a_fake_camera(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 720},
                                  permissions=["camera"])
    page = context.new_page()
    open_app(page, live_server, "step=1")
    # No camera on a test machine: give getUserMedia a canvas stream instead.
    page.evaluate("""() => {
      const c = document.createElement("canvas");
      c.width = 64; c.height = 48;
      const ctx = c.getContext("2d");
      ctx.fillStyle = "#20c040"; ctx.fillRect(0, 0, 64, 48);
      const stream = c.captureStream(10);
      setInterval(() => ctx.fillRect(0, 0, 64, 48), 50);
      navigator.mediaDevices.getUserMedia = async () => stream;
    }""")
    before = page.evaluate("() => window.convscope.state.img")
    page.click("#webcam-button")
    page.wait_for_selector("#webcam:not([hidden])")
    page.wait_for_function("() => document.getElementById('webcam-video').videoWidth > 0")
    page.click("#webcam-snap")
    page.wait_for_function("b => window.convscope.state.img !== b", arg=before)
    assert page.is_hidden("#webcam")
    context.close()


def test_the_picture_as_numbers_follows_a_click(page, live_server):
    open_app(page, live_server, "img=sample-car&size=32&step=1")
    page.wait_for_selector('#vol-numbers .grid')
    assert page.text_content("#vol-where").startswith("The numbers of rows 14–18, columns 14–18")
    click_cell(page, "#vol-1", 20, 3, 32)
    page.wait_for_function("() => document.querySelector('#vol-where').textContent"
                           ".startsWith('The numbers of rows 18–22, columns 1–5')")
    res = live_server.post_json("/api/conv", {"image_id": "sample-car", "size": 32,
                                              "filters": [{"preset": "sobel_x"}]})
    raw = base64.b64decode(res["image"]["bdata"])
    green = [f"{raw[(r * 32 + c) * 3 + 1] / 255:.2f}" for r in range(18, 23) for c in range(1, 6)]
    assert page.eval_on_selector_all("#vol-numbers figure:nth-child(2) .grid span",
                                     "els => els.map(e => e.textContent)") == green
    assert page.errors == []


def test_classroom_controls_open_as_a_drawer_without_squeezing_the_view(page, live_server):
    """At 1280×720 in classroom mode, showing the controls must not push the lesson sideways."""
    page.set_viewport_size({"width": 1280, "height": 720})
    for step in (2, 4):
        open_app(page, live_server, f"img=sample-car&step={step}&mode=class&ctl=1")
        assert page.is_visible("#controls")
        assert page.evaluate("document.documentElement.scrollWidth") == 1280
    assert page.errors == []
