"""Errors as RFC 9457 problem details (application/problem+json), never a stack trace.

A view raises ApiError(status, title, detail, field=…); Flask's own HTTP errors (404 route,
405 with its Allow header, 413 body too large, 429 with Retry-After) and request-validation
errors come out in the same shape. So does a chunked body longer than MAX_CONTENT_LENGTH
(413: it is not silently cut short). JSON nested too deeply to parse is malformed JSON (400):
orjson (app/jsonio.py) stops at 1024 levels with a ValueError, never a RecursionError.
"""

from __future__ import annotations

from flask import Flask, Response, json, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.store import StoreFullError

SLUGS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
         405: "method-not-allowed", 409: "conflict", 413: "too-large",
         415: "unsupported-media-type", 422: "unprocessable",
         429: "too-many-requests", 503: "store-unavailable", 507: "store-full"}
STORE_RETRY_SECONDS = 5


class ProblemDetails(BaseModel):
    """The error body of every failing request."""

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None


class ApiError(Exception):
    def __init__(self, status: int, title: str, detail: str, *, field: str | None = None,
                 slug: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail, self.field = status, title, detail, field
        self.headers = headers or {}  # e.g. Retry-After on a 503
        self.type = f"/problems/{slug or SLUGS.get(status, 'error')}"


def problem_response(p: ApiError) -> Response:
    body = {"type": p.type, "title": p.title, "status": p.status, "detail": p.detail}
    if p.field:
        body["field"] = p.field
    return Response(json.dumps(body), status=p.status, mimetype="application/problem+json",
                    headers=p.headers)


def _field(loc: tuple) -> str:
    return ".".join(str(part) for part in loc)


def _parses(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def validation_problem(e: ValidationError) -> Response:
    """flask-openapi3's hook: malformed JSON → 400; JSON that breaks the schema → 422."""
    if request.mimetype == "application/json" and not _parses(request.get_data()):
        return problem_response(
            ApiError(400, "Malformed JSON", "The request body is not valid JSON."))
    first = e.errors(include_url=False)[0]
    field = _field(first["loc"])
    message = first["msg"]
    detail = f"{field}: {message}" if field else message
    if len(e.errors()) > 1:
        detail += f" (and {len(e.errors()) - 1} more problem(s))"
    return problem_response(ApiError(422, "Invalid request", detail, field=field or None))


def _bound_chunked_body() -> None:
    """A body without Content-Length (chunked) is read up to MAX_CONTENT_LENGTH by Werkzeug
    and then cut off silently; read it here, and answer 413 if there was more."""
    limit = request.max_content_length
    if request.content_length is not None or limit is None:
        return
    if "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
        return
    if len(request.get_data(cache=True)) >= limit and request.stream.read(1):
        raise RequestEntityTooLarge()


def register(app: Flask, store_errors: tuple[type[Exception], ...] = ()) -> None:
    """Every error as problem+json; store_errors are the store's "unreachable" errors (503)."""
    app.before_request(_bound_chunked_body)

    @app.errorhandler(ApiError)
    def _problem(p: ApiError) -> Response:
        return problem_response(p)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException) -> Response:
        if e.response is not None:  # already a response (a validation error made by the hook)
            return e.response
        status = e.code or 500
        headers = {k: v for k, v in e.get_headers() if k in ("Allow", "Retry-After")}
        return problem_response(ApiError(status, e.name, e.description or e.name,
                                         headers=headers))

    @app.errorhandler(StoreFullError)
    def _store_full(e: StoreFullError) -> Response:
        app.logger.error("image store full: %s", e)
        return problem_response(ApiError(507, "No room for pictures",
                                         "The server has no room left to keep this picture. "
                                         "Please try again in a few minutes, or use a built-in "
                                         "picture; tell the teacher if it keeps happening.",
                                         headers={"Retry-After": "60"}))

    for error in store_errors:
        @app.errorhandler(error)
        def _store_down(e: Exception) -> Response:
            app.logger.error("image store unavailable: %s", e)
            return problem_response(ApiError(503, "Image store unavailable",
                                             "The server cannot reach its picture store just "
                                             "now; please try again in a moment.",
                                             headers={"Retry-After": str(STORE_RETRY_SECONDS)}))

    @app.errorhandler(Exception)
    def _unexpected(e: Exception) -> Response:
        app.logger.exception("unhandled error")
        return problem_response(ApiError(500, "Internal Server Error",
                                        "Something went wrong on our side; please try again."))


def documented(*statuses: int) -> dict[str, dict]:
    """The OpenAPI `responses` entry for these error statuses: a problem+json body each."""
    content = {"application/problem+json": {"schema": ProblemDetails.model_json_schema()}}
    return {str(s): {"description": SLUGS[s].replace("-", " "), "content": content}
            for s in statuses}
