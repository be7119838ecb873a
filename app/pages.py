"""The page: one HTML shell (templates/index.html), ES modules from static/, and Plotly.js
served from the installed plotly package, so the page works with no internet."""

from __future__ import annotations

import gzip
import os
from functools import lru_cache

import plotly
from flask import Blueprint, Response, render_template, request, send_file

bp = Blueprint("pages", __name__)

PLOTLY_JS = os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")
YEAR = 365 * 24 * 3600


@bp.get("/")
def index() -> str:
    return render_template("index.html")


@bp.get("/join/<code>")
def join(code: str) -> str:
    """A student's way in (the QR code's URL): the page, which joins the class `code`."""
    return render_template("index.html")


@lru_cache(maxsize=1)
def _plotly_gzip() -> bytes:
    """The bundle gzipped once per process (4.8 MB → ~1.4 MB on the wire)."""
    with open(PLOTLY_JS, "rb") as f:
        return gzip.compress(f.read(), compresslevel=6)


@bp.get("/vendor/plotly.min.js")
def plotly_js() -> Response:
    """The Plotly.js bundle shipped inside the Python plotly package, cached for a year (the
    page asks for it as ?v=<plotly version>, so a new version is a new URL)."""
    if "gzip" not in request.accept_encodings:
        return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=YEAR)
    response = Response(_plotly_gzip(), mimetype="text/javascript")
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.cache_control.public = True
    response.cache_control.max_age = YEAR
    response.set_etag(f"plotly-{plotly.__version__}-gzip")
    return response.make_conditional(request)


@bp.app_context_processor
def versions() -> dict:
    return {"plotly_version": plotly.__version__}
