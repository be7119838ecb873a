"""orjson as Flask's JSON provider: the API's bodies are mostly long base64 strings, which
orjson writes several times faster than the standard library (docs/benchmarks.md)."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


class OrjsonProvider(DefaultJSONProvider):
    """The default provider's behaviour (dates, dataclasses, … through its `default`), written
    by orjson. Keys keep their insertion order (no sorting); NaN and ±inf become null (the
    standard library would write NaN, which is not JSON)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj, default=self.default, option=OPTIONS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        # orjson refuses nesting past 1,024 levels with a JSONDecodeError (a ValueError, so
        # Flask answers 400); pydantic's own limit catches what is deep but parsable
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        body = orjson.dumps(obj, default=self.default, option=OPTIONS)
        return self._app.response_class(body, mimetype=self.mimetype)


def use_orjson(app: Flask) -> None:
    app.json = OrjsonProvider(app)
