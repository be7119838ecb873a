"""The page's assets without a browser: Plotly.js is the vendored partial bundle of the
installed package's plotly.js version, with every trace type the views draw (cached for a
year), the page has no inline script or handler (the CSP forbids them), and every ES module
import resolves to a file we serve."""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import plotly
import pytest

from app import create_app

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "static" / "js"


@pytest.fixture
def client(tmp_path):
    return create_app({"DATA_DIR": tmp_path, "TESTING": True}).test_client()


BUNDLE = ROOT / "static" / "vendor" / "plotly.js-cartesian-dist-min" / "plotly-cartesian.min.js"


def full_bundle_version() -> str:
    """The plotly.js version inside the installed Python plotly package."""
    path = os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")
    with open(path, encoding="utf-8") as f:
        return re.search(r"plotly\.js v([0-9.]+)", f.read(300)).group(1)


def test_the_partial_bundle_matches_the_installed_plotly_and_has_every_trace_type_used():
    head = BUNDLE.read_text(encoding="utf-8")
    assert f"plotly.js (cartesian - minified) v{full_bundle_version()}" in head[:300]
    bundled = set(re.findall(r'moduleType:"trace",name:"(\w+)"', head))
    # Every trace type the views draw: `type: "heatmap"` in a trace, and scatter (the default).
    used = {"scatter"}
    for module in JS.glob("*.js"):
        used |= set(re.findall(r'\btype: "(\w+)"', module.read_text()))
    used -= {"rect", "line", "button", "range", "file", "log", "linear", "category"}
    assert {"heatmap", "image", "bar", "scatter"} <= used
    assert used <= bundled, used - bundled
    assert len(BUNDLE.read_bytes()) < 2_000_000  # the full bundle is 4.8 MB


def test_plotly_is_served_from_the_vendored_partial_bundle(client):
    bundle = BUNDLE.read_bytes()
    r = client.get("/vendor/plotly.min.js")
    assert r.status_code == 200
    assert r.mimetype == "text/javascript"
    assert r.get_data() == bundle
    assert r.cache_control.max_age == 365 * 24 * 3600
    # Gzipped for browsers that accept it; a revalidation is a 304.
    r = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip, br"})
    assert r.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(r.get_data()) == bundle
    assert len(r.get_data()) < len(bundle) / 2
    assert r.cache_control.max_age == 365 * 24 * 3600
    again = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip",
                                                          "If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_the_page_has_no_inline_script_or_handler(client):
    r = client.get("/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert [attrs for attrs, body in scripts if "src=" not in attrs or body.strip()] == []
    assert re.search(r"\son[a-z]+\s*=", html) is None  # onclick=… and friends
    assert f"/vendor/plotly.min.js?v={full_bundle_version()}" in html
    assert "/static/js/main.js" in html
    assert "Content-Security-Policy" in r.headers  # the app's, which the page must live with


def test_every_module_import_resolves_and_no_eval():
    modules = sorted(JS.glob("*.js"))
    assert len(modules) >= 10
    for module in modules:
        text = module.read_text()
        for target in re.findall(r"""(?:from|import)\s*\(?\s*["'](\.[^"']+)["']""", text):
            assert (module.parent / target).resolve().is_file(), f"{module.name}: {target}"
        assert re.search(r"\beval\s*\(|new Function\s*\(", text) is None, module.name
        assert len(text.splitlines()) <= 300, f"{module.name} is long"
