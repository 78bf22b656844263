"""`outreach web`: serve the web app (unsubscribe, tracking, dashboard) with gunicorn."""

from __future__ import annotations

import re
from typing import Any

import click
from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from outreach.cli import LazyContext, pass_app

_TOKEN_PATH = re.compile(r"^/([uoc])/[^/]+")


class WebServer(BaseApplication):  # type: ignore[misc]
    """gunicorn serving an app object we built, with options given here (no config file)."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # e.g. control_socket_disable: gunicorn >= 25.1 only
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def redact_path(path: str) -> str:
    """`/u/<token>/undo` -> `/u/…/undo`: signed link tokens stay out of access logs."""
    return _TOKEN_PATH.sub(r"/\1/…", path)


class RedactingLogger(Logger):  # type: ignore[misc]
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact_path(atoms.get("U", ""))
        atoms["r"] = "-"  # the request line would repeat the token
        return atoms


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 256),
              help="gunicorn worker processes.")
@click.option("--timeout", default=30, show_default=True, type=click.IntRange(5, 3600),
              help="Seconds before a stuck worker is restarted.")
@pass_app
def web(lazy: LazyContext, host: str, port: int, workers: int, timeout: int) -> None:
    """Serve the web app; put a TLS-terminating proxy in front in production
    (and set OUTREACH_TRUSTED_PROXIES=1 so that it sees the client's scheme and host)."""
    from outreach.web.app import create_app

    app_ctx = lazy.app
    app_ctx.checked_sessions()  # a plain error now rather than 500s later
    app_ctx.engine.dispose()  # no connection may cross the fork into the workers
    options = {
        "bind": bind_address(host, port), "workers": workers, "timeout": timeout,
        "accesslog": "-", "errorlog": "-", "proc_name": "outreach-web",
        "control_socket_disable": True,  # else one shared ~/.gunicorn/gunicorn.ctl per host
        "logger_class": RedactingLogger,
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss',  # no query, no referer
    }
    WebServer(create_app(app_ctx.settings, app_ctx), options).run()


def register(main: click.Group) -> None:
    main.add_command(web)
