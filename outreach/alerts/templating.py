"""The Jinja2 setup for alert templates: what a template may refer to, and how it renders.

Two environments share one configuration: HTML with autoescape on (contact fields are data,
never markup) and plain text without HTML escaping. Both use StrictUndefined, so a template that
names a field that does not exist fails at create/preview time, never halfway through a blast.
Known-but-empty fields render as "" (not "None"), and `default` treats None and "" as missing,
so `{{ contact.first_name | default("colleague") }}` greets contacts without a first name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, Undefined, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: Fields of `contact` a template may use (`contact.attributes.X` is any imported extra column).
CONTACT_FIELDS = ("email", "first_name", "last_name", "name", "role", "outlet", "type",
                  "country", "language", "tags", "beats", "attributes")
#: Per-recipient names besides `contact`; compose() fills them in for every message.
RECIPIENT_NAMES = ("unsubscribe_url", "open_pixel_url", "click_url")
NAMES = ("contact", *RECIPIENT_NAMES)


class Attributes(dict[str, Any]):
    """`contact.attributes.X`: a column some contacts lack renders empty instead of failing."""

    def __missing__(self, key: str) -> None:
        return None


def _default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    """Jinja's `default`, also treating None and "" as missing (imported blanks are None)."""
    if isinstance(value, Undefined) or value is None or value == "":
        return default_value
    if boolean and not value:
        return default_value
    return value


def _finalize(value: Any) -> Any:
    return "" if value is None else value


def _make_env(autoescape: bool) -> ImmutableSandboxedEnvironment:
    # Sandboxed: an alert author cannot reach Python internals through a contact object.
    env = ImmutableSandboxedEnvironment(autoescape=autoescape, undefined=StrictUndefined,
                                        finalize=_finalize, keep_trailing_newline=True)
    env.filters["default"] = _default
    env.filters["d"] = _default
    return env


HTML_ENV = _make_env(autoescape=True)
TEXT_ENV = _make_env(autoescape=False)


def display_name(contact: Any) -> str | None:
    """`name`, else "first last", else None."""
    name = contact.name or " ".join(p for p in (contact.first_name, contact.last_name) if p)
    return name or None


def contact_view(contact: Any) -> dict[str, Any]:
    """The plain mapping a template sees as `contact` (no ORM object reaches a template)."""
    outlet = getattr(contact, "outlet", None)
    name = display_name(contact)
    return {
        "email": contact.email, "first_name": contact.first_name,
        "last_name": contact.last_name, "name": name, "role": contact.role,
        "outlet": outlet.name if outlet is not None else None, "type": contact.type,
        "country": contact.country, "language": contact.language,
        "tags": list(contact.tags), "beats": list(contact.beats),
        "attributes": Attributes(contact.attributes or {}),
    }


def probe_context() -> dict[str, Any]:
    """A contact with every field filled, used to check templates before anything is sent."""
    contact = {
        "email": "probe@example.org", "first_name": "Probe", "last_name": "Contact",
        "name": "Probe Contact", "role": "Editor", "outlet": "Example Daily", "type": "journalist",
        "country": "HU", "language": "en", "tags": ["press"], "beats": ["rights"],
        "attributes": Attributes(),
    }
    return recipient_context(contact, "https://example.org/u/probe",
                             "https://example.org/o/probe.gif",
                             lambda n: f"https://example.org/c/{n}")


def recipient_context(contact: Mapping[str, Any], unsubscribe: str, pixel: str,
                      click: Callable[[int], str]) -> dict[str, Any]:
    return {"contact": contact, "unsubscribe_url": unsubscribe, "open_pixel_url": pixel,
            "click_url": click}


def render_template(template: Template, context: dict[str, Any]) -> str:
    """`template.render(context)`, minus its per-call copy of the globals.

    `Template.render` builds each context as `dict(template.globals, **context)`, iterating
    a ChainMap of the template's and the environment's globals: about a third of rendering a
    short template, three times per message. Here the globals are copied once per template
    and the context is built with Jinja's public `new_context(shared=True)`; errors go
    through the environment's own handler as in `render`.
    """
    ctx = template.new_context({**_globals(template), **context}, shared=True)
    try:
        return template.environment.concat(template.root_render_func(ctx))  # type: ignore[attr-defined]
    except Exception:
        return template.environment.handle_exception()


@lru_cache(maxsize=256)
def _globals(template: Template) -> dict[str, Any]:
    return dict(template.globals)


@lru_cache(maxsize=64)
def compiled(subject: str, html: str, text: str) -> tuple[Any, Any, Any]:
    """Compiled templates of one variant, keyed by their (immutable) sources.

    Keyed by content rather than by variant id so that two databases (tests, SQLite and
    PostgreSQL) can never hand each other a stale template; a str's hash is cached by Python,
    so the lookup costs about as much as an id lookup.
    """
    return TEXT_ENV.from_string(subject), HTML_ENV.from_string(html), TEXT_ENV.from_string(text)


def unknown_references(ast: nodes.Template) -> list[tuple[int, str]]:
    """(line, 'name') for every name or `contact.field` a template uses that does not exist."""
    found: list[tuple[int, str]] = []
    assigned = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for node in ast.find_all(nodes.Name):
        if node.ctx == "load" and node.name not in NAMES and node.name not in assigned \
                and node.name not in HTML_ENV.globals:
            found.append((node.lineno, node.name))
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node.node, nodes.Name) and node.node.name == "contact":
            field = node.attr if isinstance(node, nodes.Getattr) else _const(node.arg)
            if field is not None and field not in CONTACT_FIELDS:
                found.append((node.lineno, f"contact.{field}"))
    return sorted(set(found))


def _const(node: nodes.Node) -> str | None:
    return str(node.value) if isinstance(node, nodes.Const) else None


__all__ = ["CONTACT_FIELDS", "HTML_ENV", "NAMES", "TEXT_ENV", "compiled", "contact_view",
           "display_name",
           "probe_context", "recipient_context", "render_template", "unknown_references"]
