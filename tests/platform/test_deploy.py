"""The deployment files agree with the code: compose declares the services, the image runs
as a non-root user with the pinned versions, the Kubernetes probes call URLs that exist on
the platform's host, and every environment variable settings.py reads is documented in
deploy/env.example. (The image itself is not built here: no Docker daemon in the tests.)"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
SERVICES = {"db", "redis", "migrate", "web", "worker", "beat"}


def _yaml() -> Any:
    return pytest.importorskip("yaml", reason="PyYAML is not installed: YAML not parsed")


def settings_env_vars() -> set[str]:
    """Names passed to `env.<type>("NAME", ...)` / `env("NAME")` in settings.py."""
    tree = ast.parse((ROOT / "platform" / "settings.py").read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        reads_env = (
            (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
             and func.value.id == "env")
            or (isinstance(func, ast.Name) and func.id == "env")
        )
        first = node.args[0]
        if reads_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def env_example_vars() -> set[str]:
    lines = (DEPLOY / "env.example").read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if re.match(r"^[A-Z][A-Z0-9_]*=", line)}


def test_every_variable_settings_reads_is_in_env_example() -> None:
    read = settings_env_vars()
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "RELIER_LOG_JSON"} <= read
    assert read - env_example_vars() == set()


def test_compose_text_declares_the_services() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    block = text.split("\nservices:\n")[1].split("\nvolumes:\n")[0]
    declared = set(re.findall(r"^  ([a-z][a-z0-9_-]*):\s*$", block,
                              flags=re.MULTILINE))
    assert declared == SERVICES
    assert "image: postgres:15" in text
    assert 'command: ["gunicorn", "-c", "deploy/gunicorn.conf.py"]' in text


def test_compose_parses_and_wires_the_services() -> None:
    yaml = _yaml()
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == SERVICES
    assert services["db"]["image"].startswith("postgres:15")
    assert "migrate_schemas" in " ".join(services["migrate"]["command"])
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}}
    for name in ("db", "redis", "web", "worker"):
        assert "test" in services[name]["healthcheck"]
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])


def test_dockerfile_is_multi_stage_non_root_and_pinned() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, flags=re.MULTILINE)) == 2
    users = re.findall(r"^USER (\S+)", text, flags=re.MULTILINE)
    assert users == ["relier:relier"]
    assert "-c requirements/constraints.txt" in text
    assert "collectstatic --noinput" in text
    assert "compile_translations" in text
    assert 'CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py"]' in text
    assert (DEPLOY / "gunicorn.conf.py").exists()


def _probe_paths_from_text() -> list[str]:
    text = (K8S / "web.yaml").read_text()
    return re.findall(r"^\s+path: (/\S*)$", text, flags=re.MULTILINE)


@pytest.mark.parametrize("urlconf", ["relier_platform.urls_public", "relier_platform.urls_tenant"])
def test_k8s_probes_call_urls_that_exist(urlconf: str) -> None:
    paths = _probe_paths_from_text()
    assert sorted(set(paths)) == ["/healthz", "/readyz"]
    for path in paths:
        try:
            match = resolve(path, urlconf=urlconf)
        except Resolver404:  # pragma: no cover - the assertion message says which
            pytest.fail(f"{path} not in {urlconf}")
        assert match.url_name == path.strip("/")


def test_k8s_manifests_parse_and_cover_the_deployment() -> None:
    yaml = _yaml()
    kinds: dict[str, set[str]] = {}
    for file in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(file.read_text()):
            # kustomization.yaml is kustomize's own file, not an object: it has no name.
            if doc and "kind" in doc and doc["kind"] != "Kustomization":
                kinds.setdefault(doc["kind"], set()).add(doc["metadata"]["name"])
    assert kinds["Deployment"] == {"relier-web", "relier-worker", "relier-beat"}
    assert kinds["Service"] == {"relier-web"}
    assert kinds["Job"] == {"relier-migrate"}
    assert kinds["Ingress"] == {"relier"}


def test_ingress_serves_the_wildcard_host_with_tls() -> None:
    text = (K8S / "ingress.yaml").read_text()
    assert 'host: "*.relier.example"' in text
    assert '"*.relier.example"' in re.search(r"tls:\n(.*?)\n  rules:", text, re.S).group(1)  # type: ignore[union-attr]
    assert "cert-manager.io/cluster-issuer:" in text


def test_k8s_pods_run_as_the_image_user() -> None:
    for name in ("web.yaml", "worker.yaml", "beat.yaml", "migrate-job.yaml"):
        text = (K8S / name).read_text()
        assert "runAsNonRoot: true, runAsUser: 10001" in text, name
        assert "configMapRef: {name: relier-config}" in text, name
        assert "secretRef: {name: relier-secrets}" in text, name


def test_reverse_proxy_answers_every_association_with_tls() -> None:
    text = (DEPLOY / "Caddyfile").read_text()
    assert "relier.example, *.relier.example {" in text
    assert "tls {" in text
    assert "reverse_proxy 127.0.0.1:8000" in text
    assert "header_up X-Request-ID" in text
