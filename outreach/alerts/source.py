"""Reading an alert file: a YAML front-matter block, then the body in Markdown.

```
---
subject: "Urgent: ..."          # optional: defaults to the first `# headline`
from: "Press Office <press@example.org>"
reply_to: "Press Office <press@example.org>"
preheader: "One line shown next to the subject in the inbox"
language: en
segment: {where: ["country=HU,AT"], tags: ["press"]}   # optional
track_opens: false
track_clicks: false
---
# Headline
Body in Markdown, with {{ contact.first_name | default("colleague") }} personalisation.
```

Every problem is a UserError naming `FILE:LINE`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import yaml

from outreach.contacts.segments import Segment, parse_segment
from outreach.errors import UserError

KEYS = ("subject", "from", "reply_to", "preheader", "language", "segment", "track_opens",
        "track_clicks")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
_HEADLINE_RE = re.compile(r"^#\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class AlertSource:
    """One parsed alert file. `body_line` is the file line of the body's first line."""

    path: Path
    text: str
    front: dict[str, Any]
    body: str
    body_line: int
    key_lines: dict[str, int] = field(default_factory=dict)

    def where(self, key: str | None = None, line_in_body: int | None = None) -> str:
        """`FILE:LINE` for a front-matter key or a body line (1-based within the body)."""
        if line_in_body is not None:
            return f"{self.path}:{self.body_line + line_in_body - 1}"
        return f"{self.path}:{self.key_lines.get(key or '', 1)}"

    @property
    def language(self) -> str:
        return str(self.front.get("language") or "en")

    @property
    def subject(self) -> str | None:
        """The front-matter subject, else the first level-1 headline's source text."""
        if self.front.get("subject"):
            return str(self.front["subject"])
        for line in self.body.splitlines():
            match = _HEADLINE_RE.match(line)
            if match:
                return match.group(1)
        return None

    @property
    def subject_where(self) -> str:
        if self.front.get("subject"):
            return self.where("subject")
        for number, line in enumerate(self.body.splitlines(), start=1):
            if _HEADLINE_RE.match(line):
                return self.where(line_in_body=number)
        return self.where()

    @property
    def track_opens(self) -> bool:
        return bool(self.front.get("track_opens", False))

    @property
    def track_clicks(self) -> bool:
        return bool(self.front.get("track_clicks", False))

    def segment(self) -> Segment | None:
        raw = self.front.get("segment")
        if raw is None:
            return None
        if isinstance(raw, str):
            raw = {"where": [raw]}
        if not isinstance(raw, dict) or set(raw) - {"where", "tags"}:
            raise UserError(f"{self.where('segment')}: segment: expected "
                            "{where: [FIELD=VALUE,...], tags: [TAG,...]}")
        try:
            return parse_segment(_str_list(raw.get("where")), _str_list(raw.get("tags")))
        except UserError as exc:
            raise UserError(f"{self.where('segment')}: segment: {exc}") from None


def _str_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def read_source(path: Path) -> AlertSource:
    """Read and check an alert file; a malformed one raises UserError with FILE:LINE."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read as UTF-8 text ({exc})") from None
    return parse_source(text, path)


def parse_source(text: str, path: Path) -> AlertSource:
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return _checked(AlertSource(path, text, {}, text, 1))
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise UserError(f"{path}:1: front matter opened with '---' is never closed") from None
    front, key_lines = _load_front(path, "\n".join(lines[1:end]))
    body = "\n".join(lines[end + 1:])
    return _checked(AlertSource(path, text, front, body, end + 2, key_lines))


def _load_front(path: Path, block: str) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        node = yaml.compose(block, Loader=yaml.SafeLoader)
        data = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"{path}:{line}: front matter is not valid YAML: {problem}") from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise UserError(f"{path}:2: front matter must be 'key: value' lines")
    key_lines = {str(k.value): k.start_mark.line + 2 for k, _ in node.value}
    return data, key_lines


def _checked(source: AlertSource) -> AlertSource:
    front = source.front
    for key in front:
        if key not in KEYS:
            raise UserError(f"{source.where(str(key))}: unknown front-matter key {key!r} "
                            f"(known: {', '.join(KEYS)})")
    for key in ("subject", "from", "reply_to", "preheader", "language"):
        value = front.get(key)
        if value is not None and not isinstance(value, str | int | float):
            raise UserError(f"{source.where(key)}: {key}: expected a single line of text")
        if value is not None and any(c in str(value) for c in "\r\n"):
            raise UserError(f"{source.where(key)}: {key}: must be a single line")
    for key in ("track_opens", "track_clicks"):
        if key in front and not isinstance(front[key], bool):
            raise UserError(f"{source.where(key)}: {key}: expected true or false")
    if not _LANGUAGE_RE.match(source.language):
        raise UserError(f"{source.where('language')}: language: {source.language!r} is not a "
                        "two-letter lower-case code like 'en'")
    for key in ("from", "reply_to"):
        if front.get(key):
            check_address(str(front[key]), source.where(key) + f": {key}")
    if not source.subject:
        raise UserError(f"{source.where()}: no subject: set 'subject:' in the front matter or "
                        "start the body with a '# headline'")
    if not source.body.strip():
        raise UserError(f"{source.where()}: the alert has no body")
    source.segment()
    return source


def from_fields(label: str, front: dict[str, Any], body: str) -> AlertSource:
    """An alert written in the console: front matter from form fields, the body as typed.

    `label` stands where a file name would ("ru body"); body lines are numbered from 1 as
    the author sees them in the text box, so `label:7` points at the seventh line typed.
    """
    front = {k: v for k, v in front.items() if v not in (None, "")}
    text = ("---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
            + "---\n" + body.replace("\r\n", "\n")) if front else body.replace("\r\n", "\n")
    return _checked(AlertSource(Path(label), text, front, body.replace("\r\n", "\n"), 1))


def body_of(text: str) -> str:
    """The body of a stored source (what follows its front matter)."""
    return parse_source(text, Path("stored")).body


def with_language(source: AlertSource, language: str) -> AlertSource:
    """The same source declared as `language` (for `--variant LANG=FILE` without front matter)."""
    return _checked(replace(source, front={**source.front, "language": language.lower()}))


def check_address(value: str, where: str) -> None:
    """One `Name <addr@domain>` or `addr@domain`, no line breaks (they would reach a header)."""
    pairs = getaddresses([value])
    addr = pairs[0][1] if len(pairs) == 1 else ""
    if any(c in value for c in "\r\n") or addr.count("@") != 1 or addr.startswith("@") \
            or addr.endswith("@"):
        raise UserError(f"{where}: {value!r} is not one address like 'Name <x@example.org>'")
