"""docker-compose.yml and Dockerfile: the structure a deployment relies on.

CI also runs `docker compose config` where the compose plugin exists; this test needs no Docker.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "worker", "beat", "web")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_commands() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "worker", "beat", "web", "mailpit"}
    assert services["worker"]["command"][:6] == ["celery", "-A", "workers", "worker", "-Q",
                                                 "urgent,bulk"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "workers", "beat"]
    assert services["web"]["command"] == ["outreach", "web", "--host", "0.0.0.0", "--port",
                                          "8000"]
    assert services["migrate"]["command"] == ["outreach", "db", "upgrade"]
    assert services["mailpit"]["profiles"] == ["dev"]


def test_app_services_share_image_env_and_wait_for_migration() -> None:
    services = compose()["services"]
    for name in APP_SERVICES:
        svc = services[name]
        assert svc["build"] == "." and svc["image"] == "outreach:latest"
        assert svc["environment"]["OUTREACH_SECRET_KEY"] == "${OUTREACH_SECRET_KEY:-}"
        assert svc["environment"]["OUTREACH_BROKER_URL"] == "redis://redis:6379/0"
        assert svc["environment"]["OUTREACH_DATABASE_URL"].startswith("postgresql://")
    for name in ("worker", "beat", "web"):
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
    worker = services["worker"]
    assert "container_name" not in worker and "ports" not in worker  # `--scale worker=N`


def test_no_secret_is_written_in_compose() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    keys = re.compile(r"^\s*[A-Z_]*(?:PASSWORD|SECRET|KEY)[A-Z_]*:\s*\"?([^\s\"#]*)", re.M)
    for match in keys.finditer(text):
        value = match.group(1)
        assert value == "" or value.startswith("${") or value == "1", match.group(0)
    assert ":${POSTGRES_PASSWORD:-}@" in text  # interpolated from .env, never literal


def test_dockerfile_is_slim_non_root_and_copies_templates() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    assert re.search(r"^USER outreach$", text, re.M)
    assert "pip install -e ." in text
    for source in re.findall(r"^COPY (\w+) \./\1$", text, re.M):
        assert (ROOT / source).is_dir(), source
    assert "COPY templates ./templates" in text


def test_env_example_names_known_settings() -> None:
    from outreach.config import VARIABLES

    text = (ROOT / "deploy" / "outreach.env.example").read_text()
    names = set(re.findall(r"^#? ?(OUTREACH_[A-Z_]+)=", text, re.M))
    assert names and names <= set(VARIABLES), names - set(VARIABLES)
