"""The default worker layout: two processes per core, for `outreach worker` and plain celery."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from outreach.config import Settings, load_settings
from outreach.errors import ConfigError
from workers.app import celery_config, worker_concurrency


def test_two_processes_per_core_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert worker_concurrency(Settings()) == 6
    assert celery_config(Settings())["worker_concurrency"] == 6  # `celery -A workers worker`


def test_override(tmp_path: Path) -> None:
    settings = load_settings({"OUTREACH_WORKER_CONCURRENCY": "5"}, dotenv=tmp_path / "none")
    assert worker_concurrency(settings) == 5
    assert celery_config(settings)["worker_concurrency"] == 5


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5"])
def test_bad_value_is_named(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="OUTREACH_WORKER_CONCURRENCY"):
        load_settings({"OUTREACH_WORKER_CONCURRENCY": bad}, dotenv=tmp_path / "none")
