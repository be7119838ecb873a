"""The page: one HTML shell (templates/index.html), ES modules from static/, and Plotly.js
served from the installed plotly package, so the page works with no internet."""

from __future__ import annotations

import os

import plotly
from flask import Blueprint, Response, render_template, send_file

bp = Blueprint("pages", __name__)

PLOTLY_JS = os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")
YEAR = 365 * 24 * 3600


@bp.get("/")
def index() -> str:
    return render_template("index.html")


@bp.get("/vendor/plotly.min.js")
def plotly_js() -> Response:
    """The Plotly.js bundle shipped inside the Python plotly package (cached for a year:
    its URL carries no version, but the page asks for it with ?v=<plotly version>)."""
    return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=YEAR)


@bp.app_context_processor
def versions() -> dict:
    return {"plotly_version": plotly.__version__}
