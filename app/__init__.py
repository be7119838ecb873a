"""Convscope's Flask application: `create_app()` builds it.

Validation and the OpenAPI document (/api/openapi.json) both come from the pydantic
models in app/schemas.py, through flask-openapi3.
"""

from __future__ import annotations

import os

# One BLAS thread unless told otherwise (OPENBLAS_NUM_THREADS=2 python -m app), set before
# numpy is first imported, as gunicorn.conf.py does: requests are small, and on a loaded
# machine a second OpenBLAS thread busy-waits (twice the CPU for no latency gain).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from flask import Flask, Response  # noqa: E402
from flask_compress import Compress  # noqa: E402
from flask_openapi3 import Info, OpenAPI  # noqa: E402

from app import budget, config, limits, problems  # noqa: E402
from app.jsonio import use_orjson  # noqa: E402
from app.live import Classes  # noqa: E402
from app.live_store import make_class_store  # noqa: E402
from app.pictures import Pictures  # noqa: E402
from app.store import make_store  # noqa: E402

__version__ = "0.1.0"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
       "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'self'")


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=()")
    return response


def create_app(test_config: dict | None = None) -> Flask:
    app = OpenAPI(__name__, template_folder="../templates", static_folder="../static",
                  info=Info(title="Convscope API", version=__version__),
                  security_schemes={},  # none; without it the document says null (invalid)
                  doc_ui=False,  # no UI bundle (it would need outside assets): just the JSON
                  validation_error_status=422, validation_error_model=problems.ProblemDetails,
                  validation_error_callback=problems.validation_problem)
    use_orjson(app)
    app.config.from_mapping(config.from_environment())
    # Cheap compression levels: the big JSON is mostly base64 of float32 maps, which gzip's
    # default level (6) takes 10 s of CPU to shrink barely more than level 1 (docs/serving.md).
    app.config["COMPRESS_LEVEL"] = 1
    app.config["COMPRESS_BR_LEVEL"] = 1
    app.config["COMPRESS_MIMETYPES"] = ["application/json", "application/problem+json",
                                        "text/csv", "text/html", "text/css",
                                        "text/javascript", "application/javascript"]
    if test_config:
        app.config.update(test_config)

    store = make_store(app.config["STORE"], app.config["DATA_DIR"], app.config["STORE_MAX_BYTES"],
                       app.config["UPLOAD_TTL_SECONDS"])
    for warning in store.check():  # a setting that cannot work raises ValueError here
        app.logger.warning("image store: %s", warning)
    app.extensions["store"] = store
    app.extensions["pictures"] = Pictures(store)
    app.extensions["classes"] = Classes(
        make_class_store(app.config["STORE"], app.config["DATA_DIR"],
                         app.config["CLASS_IDLE_HOURS"] * 3600),
        app.config["CLASS_MAX_FOLLOWERS"])

    problems.register(app, store.transient_errors)
    limits.init_app(app)
    budget.register(app)
    app.after_request(_security_headers)
    Compress(app)

    from app import pages
    from app.api import classes, conv, exports, health, images, models, presets

    for module in (health, images, presets, conv, exports, models, classes):
        app.register_api(module.bp)
    app.register_blueprint(pages.bp)
    app.add_url_rule("/api/openapi.json", "openapi", lambda: app.api_doc)
    return app
