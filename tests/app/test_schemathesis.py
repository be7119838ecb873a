"""schemathesis against our own OpenAPI document: no 5xx, every response as documented.

Requests are generated from the schema (valid and invalid ones), sent to the app in-process.
"""

from __future__ import annotations

import tempfile

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app

app = create_app({"TESTING": True, "DATA_DIR": tempfile.mkdtemp(prefix="convscope-fuzz-")})
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_schema(case):
    # identity: the in-process client does not undo gzip or brotli as a browser does
    case.call_and_validate(checks=CHECKS, headers={"Accept-Encoding": "identity"})
