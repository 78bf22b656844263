"""Compile one alert variant once: Markdown -> email layout -> premailer -> stored Jinja2 sources.

premailer costs milliseconds, so it runs here, once per variant, never per recipient. The body's
Jinja snippets (`{{ contact.first_name }}`, `{% if %}`) and the per-recipient values of the
layout (unsubscribe URL, open pixel, click URLs) travel through Markdown and premailer as inert
placeholders such as `ORPH3FA2C10007Z` and are put back afterwards, so the stored result is a
Jinja2 source whose only per-recipient work is filling in those fields.
"""

from __future__ import annotations

import logging
import re
import secrets
import textwrap
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    TemplateError,
    TemplateSyntaxError,
    select_autoescape,
)
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup
from premailer import Premailer

from outreach.alerts import i18n
from outreach.alerts.plaintext import WIDTH, inline_text, render_text
from outreach.alerts.source import AlertSource
from outreach.alerts.templating import TEXT_ENV, compiled, probe_context, unknown_references
from outreach.config import Settings
from outreach.errors import UserError

# The email layouts, wherever the package is installed (a wheel carries them as package data).
TEMPLATES = Path(str(resources.files("outreach.templates") / "email"))
_SNIPPET_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_JINJA_OPEN_RE = re.compile(r"\{(?=[{%#])")


@dataclass
class CompiledVariant:
    language: str
    subject_template: str
    html_template: str
    text_template: str
    links: list[str]
    front_matter: dict[str, Any]
    source_markdown: str
    from_address: str
    reply_to: str | None


@dataclass
class _Placeholders:
    """Inert stand-ins for Jinja snippets; upper-case letters and digits survive every stage."""

    nonce: str = field(default_factory=lambda: secrets.token_hex(3).upper())
    snippets: dict[str, str] = field(default_factory=dict)

    def add(self, snippet: str) -> str:
        key = f"ORPH{self.nonce}{len(self.snippets):04d}Z"
        self.snippets[key] = snippet
        return key

    def hide(self, text: str) -> str:
        return _SNIPPET_RE.sub(lambda m: self.add(m.group(0)), text)

    def restore(self, compiled_text: str) -> str:
        """Put the snippets back; literal `{{`/`{%`/`{#` elsewhere are escaped for Jinja."""
        pattern = re.compile(f"ORPH{self.nonce}\\d{{4}}Z")
        parts = pattern.split(compiled_text)
        keys = pattern.findall(compiled_text)
        out = [_JINJA_OPEN_RE.sub('{{ "{" }}', parts[0])]
        for key, static in zip(keys, parts[1:], strict=True):
            out.append(self.snippets[key])
            out.append(_JINJA_OPEN_RE.sub('{{ "{" }}', static))
        return "".join(out)

    def late_wrap(self, paragraph: str) -> str | None:
        """A paragraph with per-recipient fields is wrapped per recipient (Jinja `wordwrap`)."""
        if f"ORPH{self.nonce}" not in paragraph:
            return None
        try:  # only a paragraph whose statements are closed within it (not a lone `{% if %}`)
            TEXT_ENV.parse(self.restore(paragraph))
        except TemplateSyntaxError:
            return None
        first = paragraph.index(f"ORPH{self.nonce}")
        settled, unsettled = prewrap(paragraph[:first])
        return (settled + self.add(f"{{% filter wordwrap({WIDTH}, false, none, false) %}}")
                + unsettled + paragraph[first:] + self.add("{% endfilter %}"))

    def is_statement(self, key: str) -> bool:
        return not self.snippets[key].startswith("{{")


def prewrap(prefix: str) -> tuple[str, str]:
    """Split the constant start of a paragraph wrapped per recipient into (settled, unsettled).

    `settled` is what Jinja's `wordwrap(WIDTH, false, none, false)` makes of the complete lines
    of `prefix`, whatever text follows it, wrapped here once per alert; `unsettled` (its last
    wrapped line onwards) is still wrapped per recipient together with the fields that follow.
    `settled + wordwrap(unsettled + rest) == wordwrap(prefix + rest)` for any `rest`.
    """
    lines = prefix.splitlines(keepends=True)
    if not lines:
        return "", prefix
    settled = "".join("\n".join(_wrap(line.splitlines()[0])) + "\n" for line in lines[:-1])
    last = lines[-1]
    if last.splitlines() != [last]:  # ends in a line break that may pair with what follows
        return settled, last
    wrapped = _wrap(last)
    end = len(last.rstrip(_WRAP_SPACE))
    start = end - len(wrapped[-1]) if wrapped else 0
    if len(wrapped) < 2 or last[start:end] != wrapped[-1]:
        return settled, last
    return settled + "\n".join(wrapped[:-1]) + "\n", last[start:]


_WRAP_SPACE = "\t\n\x0b\x0c\r "  # what textwrap splits words on


def _wrap(line: str) -> list[str]:
    """textwrap as Jinja's `wordwrap(WIDTH, false, none, false)` calls it on one line."""
    return textwrap.wrap(line, width=WIDTH, expand_tabs=False, replace_whitespace=False,
                         break_long_words=False, break_on_hyphens=False)


def markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def compile_variant(source: AlertSource, settings: Settings, *, track_opens: bool = False,
                    track_clicks: bool = False, templates: Path = TEMPLATES) -> CompiledVariant:
    """Check and compile one alert file; problems raise UserError naming FILE:LINE."""
    check_template(source, source.body, line_offset=0)
    check_template(source, source.subject or "", where=source.subject_where)
    marks = _Placeholders()
    subject = marks.hide(source.subject or "")
    if not source.front.get("subject"):  # taken from the headline, which may hold **Markdown**
        subject = _plain_subject(subject)
    md = markdown()
    tokens = md.parse(marks.hide(source.body))
    text_body = render_text(tokens, marks.late_wrap)
    links = _collect_links(tokens, marks if track_clicks else None)
    html_body = _unwrap_statements(md.renderer.render(tokens, md.options, {}), marks)
    values = _layout_values(source, settings, marks, subject, track_opens)
    env = _layout_env(templates)
    body = Markup(html_body)  # noqa: S704 - our own Markdown output, authors are trusted
    html = env.get_template("layout.html.j2").render(**values, body=body)
    text = env.get_template("layout.txt.j2").render(**values, body=text_body)
    variant = CompiledVariant(
        language=source.language, subject_template=marks.restore(" ".join(subject.split())),
        html_template=marks.restore(inline_css(html)), text_template=marks.restore(text),
        links=links, front_matter=dict(source.front), source_markdown=source.text,
        from_address=str(source.front.get("from") or settings.from_address),
        reply_to=str(source.front["reply_to"]) if source.front.get("reply_to") else None)
    _probe_compiled(source, variant)
    return variant


def _layout_env(templates: Path) -> Environment:
    return Environment(loader=FileSystemLoader(str(templates)), autoescape=select_autoescape(
        enabled_extensions=("html.j2",), default_for_string=True), keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True)


def _layout_values(source: AlertSource, settings: Settings, marks: _Placeholders, subject: str,
                   track_opens: bool) -> dict[str, Any]:
    preheader = source.front.get("preheader")
    return {
        "lang": source.language,
        "title": subject,
        "preheader": marks.hide(str(preheader)) if preheader else "",
        "org_name": settings.org_name,
        "postal_address": settings.postal_address,
        "unsubscribe_url": marks.add("{{ unsubscribe_url }}"),
        "open_pixel_url": marks.add("{{ open_pixel_url }}") if track_opens else None,
        "t": i18n.strings(source.language),
    }


def _plain_subject(subject: str) -> str:
    tokens = markdown().parseInline(subject)
    return inline_text(tokens[0].children or []) if tokens else subject


def _collect_links(tokens: list[Token], marks: _Placeholders | None) -> list[str]:
    """The alert's own web links, in order; with click tracking their hrefs become click URLs."""
    links: list[str] = []
    for token in _walk(tokens):
        href = str(token.attrGet("href") or "") if token.type == "link_open" else ""
        if not href.lower().startswith(("http://", "https://")) or "ORPH" in href:
            continue
        if href not in links:
            links.append(href)
        if marks is not None:
            token.attrSet("href", marks.add(f"{{{{ click_url({links.index(href)}) }}}}"))
    return links


def _walk(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for token in tokens:
        out.append(token)
        if token.children:
            out.extend(_walk(token.children))
    return out


def _unwrap_statements(html: str, marks: _Placeholders) -> str:
    """`<p>{% if ... %}</p>` -> `{% if ... %}`: a statement alone on a line is not a paragraph."""
    def unwrap(match: re.Match[str]) -> str:
        key = match.group(1)
        return key if marks.is_statement(key) else match.group(0)

    return re.sub(f"<p>(ORPH{marks.nonce}\\d{{4}}Z)</p>\n?", unwrap, html)


def inline_css(html: str) -> str:
    """premailer with the network off: every style inline, no <style> or class left.

    Width/height attributes stay as written (Outlook sizes the 600 px card by them).
    """
    return Premailer(html, remove_classes=True, keep_style_tags=False, strip_important=False,
                     disable_leftover_css=True, allow_network=False,
                     disable_basic_attributes=["width", "height"], disable_validation=True,
                     cssutils_logging_level=logging.CRITICAL, disable_link_rewrites=True,
                     ).transform(pretty_print=False).rstrip("\n") + "\n"


def check_template(source: AlertSource, template: str, *, line_offset: int = 0,
                   where: str | None = None) -> None:
    """Syntax, unknown names and fields (static), then a render against a full probe contact."""
    def at(line: int) -> str:
        return where or source.where(line_in_body=line + line_offset)

    try:
        ast = TEXT_ENV.parse(template)
        for line, name in unknown_references(ast):
            raise UserError(f"{at(line)}: unknown field {name!r}")
        compiled_template = TEXT_ENV.from_string(ast)
    except TemplateSyntaxError as exc:
        raise UserError(f"{at(exc.lineno)}: template error: {exc.message}") from None
    try:
        compiled_template.render(probe_context())
    except TemplateError as exc:
        raise UserError(f"{at(_error_line(exc))}: template error: {exc}") from None
    except Exception as exc:  # any failure of an author's expression
        raise UserError(f"{at(_error_line(exc))}: template error: {exc!r}") from None


def _error_line(exc: BaseException) -> int:
    """The template line of a render error (Jinja rewrites tracebacks to template lines)."""
    line, tb = 1, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _probe_compiled(source: AlertSource, variant: CompiledVariant) -> None:
    """The stored templates themselves must render for a full contact before they are kept."""
    try:
        subject, html, text = compiled(variant.subject_template, variant.html_template,
                                       variant.text_template)
        context = probe_context()
        subject.render(context), html.render(context), text.render(context)
    except Exception as exc:  # the user's problem, named with the file
        raise UserError(f"{source.where()}: the compiled alert does not render: {exc}") from None
