"""The REST API's foundation (issue #19): the OpenAPI document and the reference page on
every host, problem details (RFC 9457) in French or English, versioning in the path."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import World, host_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("on_association", [True, False])
def test_the_openapi_document_is_served_on_every_host(world: World, on_association: bool) -> None:
    client = host_client(world.acme if on_association else None)
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Relier API"
    as_yaml = client.get("/api/v1/schema/?format=yaml")
    assert as_yaml.status_code == 200
    assert yaml.safe_load(as_yaml.content)["info"]["title"] == "Relier API"


@pytest.mark.parametrize("on_association", [True, False])
def test_the_reference_page_runs_under_the_csp(world: World, on_association: bool) -> None:
    client = host_client(world.acme if on_association else None)
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<style" not in html
    assert "<script>" not in html  # every script has a src: the CSP forbids inline ones
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "default-src 'self'" in page["Content-Security-Policy"]
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in script.content.decode()


def test_an_unknown_version_is_not_found(world: World) -> None:
    assert host_client(world.acme).get("/api/v2/schema/").status_code == 404


@pytest.mark.parametrize(("language", "title", "detail"), [
    ("fr", "Méthode non autorisée", "Méthode «\u00a0POST\u00a0» non autorisée."),
    ("en", "Method not allowed", 'Method "POST" not allowed.'),
])
def test_errors_are_problem_details_in_the_request_language(
    world: World, language: str, title: str, detail: str, english_catalogue: None,
) -> None:
    response = host_client(world.acme).post("/api/v1/schema/", HTTP_ACCEPT_LANGUAGE=language,
                                            HTTP_ACCEPT="application/json")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://relier.example/problemes/method-not-allowed", "title": title,
        "status": 405, "detail": detail, "instance": "/api/v1/schema/",
        "code": "method_not_allowed",
    }


@pytest.mark.parametrize("on_association", [True, False])
def test_any_other_api_path_is_a_problem_not_a_page(world: World, on_association: bool) -> None:
    client = host_client(world.acme if on_association else None)
    for method, path in (("get", "/api/v1/nulle-part/"), ("post", "/api/v1/cases/-1/")):
        response = getattr(client, method)(path, HTTP_ACCEPT="application/json")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"
