"""schemathesis against the API's own OpenAPI document: no 500, no answer outside the schema."""

import gzip

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from calculator.api.openapi import document
from calculator.wsgi import application

schema = schemathesis.openapi.from_dict(document())


@schemathesis.serializer("application/gzip")
def gzipped(ctx, value):  # type: ignore[no-untyped-def]
    """A usage file's body, gzipped, as POST /api/usage takes it."""
    data = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
    return gzip.compress(data)


@pytest.fixture(autouse=True)
def _db(default_card_installed, settings):
    """The WSGI app reads the default card from the test database; no rate limit in the run."""
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "api": (1_000_000, 60),
        "save": (1_000_000, 60),
        "cpu": (0, 60),
    }


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_schema(case):
    case.call_and_validate(
        app=application,
        headers={"Accept-Encoding": "identity"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )


def test_the_document_is_served_at_a_stable_url(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.0")
    assert set(response.json()["paths"]) == {"/api/estimate", "/api/rate-cards", "/api/usage"}
