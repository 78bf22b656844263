"""The default worker layout: one process per core, each on several SMTP connections, for
`outreach worker` and plain celery; at most 32 connections per machine by default."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from outreach.config import Settings, load_settings
from outreach.errors import ConfigError
from outreach.sending.config import SendingConfig, default_connections
from workers.app import celery_config, worker_concurrency


def test_one_process_per_core_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert worker_concurrency(Settings()) == 3
    assert celery_config(Settings())["worker_concurrency"] == 3  # `celery -A workers worker`


@pytest.mark.parametrize(("cores", "connections"), [(1, 16), (2, 16), (4, 8), (8, 4), (64, 1)])
def test_connections_per_process_follow_the_cores(monkeypatch: pytest.MonkeyPatch, cores: int,
                                                  connections: int) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert SendingConfig.from_settings(Settings()).smtp_connections == connections
    assert cores * connections <= max(32, cores)  # below Postfix's 50 connections per client


def test_connections_follow_the_configured_processes(tmp_path: Path) -> None:
    settings = load_settings({"OUTREACH_WORKER_CONCURRENCY": "16"}, dotenv=tmp_path / "none")
    assert SendingConfig.from_settings(settings).smtp_connections == default_connections(16) == 2
    settings = load_settings({"OUTREACH_SMTP_CONNECTIONS": "3"}, dotenv=tmp_path / "none")
    assert SendingConfig.from_settings(settings).smtp_connections == 3


def test_override(tmp_path: Path) -> None:
    settings = load_settings({"OUTREACH_WORKER_CONCURRENCY": "5"}, dotenv=tmp_path / "none")
    assert worker_concurrency(settings) == 5
    assert celery_config(settings)["worker_concurrency"] == 5


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5"])
@pytest.mark.parametrize("name", ["OUTREACH_WORKER_CONCURRENCY", "OUTREACH_SMTP_CONNECTIONS"])
def test_bad_value_is_named(bad: str, name: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: bad}, dotenv=tmp_path / "none")
