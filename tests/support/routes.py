"""Walking the Flask app's URL map, so that every route (including ones added later) is tested."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask
from werkzeug.routing import IntegerConverter, Rule

SAFE = {"GET", "HEAD", "OPTIONS"}
SAMPLES = {"action": "pause", "what": "disable"}  # values the views accept, where known


def sample_path(rule: Rule) -> str:
    """A concrete path for `rule`: 1 for integers, a plausible word for strings."""
    values: dict[str, object] = {}
    for arg in rule.arguments:
        converter = rule._converters.get(arg)
        values[arg] = 1 if isinstance(converter, IntegerConverter) else SAMPLES.get(arg, "x")
    _, path = rule.build(values, append_unknown=False)  # type: ignore[misc]
    return path.split("|", 1)[-1]


def state_changing(app: Flask) -> Iterator[tuple[Rule, str, str]]:
    """(rule, method, path) for every route and method that is not GET/HEAD/OPTIONS."""
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - SAFE):
            yield rule, method, sample_path(rule)
