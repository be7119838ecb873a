"""A student's photo in the page: deleted on request, re-sent when the server forgot it, and
its shared link working for a classmate (real Chromium)."""

from __future__ import annotations

import io
import urllib.error
import urllib.request

from PIL import Image

from tests.e2e.conftest import open_app


def png(color: tuple[int, int, int], side: int = 28) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (side, side), color).save(buf, "PNG")
    return buf.getvalue()


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_delete_my_picture(page, live_server, browser):
    open_app(page, live_server, "step=2")
    assert page.is_hidden("#delete-picture")  # a built-in picture is not ours to delete
    data = png((10, 140, 90))
    image_id = live_server.image_id(data)
    page.set_input_files("#file-input", files=[{"name": "me.png", "mimeType": "image/png",
                                                  "buffer": data}])
    page.wait_for_function("d => window.convscope.state.img === d", arg=image_id)
    page.wait_for_selector("#delete-picture:not([hidden])")
    # a classmate opens the shared lesson URL: the picture is there for them too
    other = browser.new_page()
    other.goto(f"{live_server.url}/?step=2&img={image_id}")
    other.wait_for_selector("body[data-ready]")
    assert other.evaluate("() => window.convscope.state.img") == image_id
    other.close()
    page.screenshot(path=str(live_server.data_dir / "delete-button.png"))
    page.click("#delete-picture")
    page.wait_for_function("() => window.convscope.state.img === 'sample-car'")
    assert "deleted" in page.text_content("#toast").lower()
    assert page.is_hidden("#delete-picture")
    assert status(f"{live_server.url}/api/images/{image_id}?size=16") == 404
    assert page.errors == []
