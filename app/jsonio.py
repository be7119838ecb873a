"""orjson writes the API's JSON: its bodies are mostly long base64 strings, which orjson
writes several times faster than the standard library (docs/benchmarks.md). Requests are
still parsed by problems.JSONProvider (small bodies; its rules for bad JSON)."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response

from app.problems import JSONProvider

OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


class OrjsonProvider(JSONProvider):
    """problems.JSONProvider, writing with orjson: what the default provider writes (dates,
    dataclasses, … through its `default`), keys in insertion order (not sorted), NaN and
    ±inf as null (the standard library writes NaN, which is not JSON)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj, default=self.default, option=OPTIONS).decode()

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        body = orjson.dumps(obj, default=self.default, option=OPTIONS)
        return self._app.response_class(body, mimetype=self.mimetype)

