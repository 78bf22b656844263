"""The plain-text part, rendered from the same markdown-it tokens as the HTML part.

Links stay readable: `text (https://...)`, and `mailto:` links show the address. Paragraphs are
wrapped at 72 columns; the MIME layer still guarantees the 998-octet line limit.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Sequence

from markdown_it.token import Token

WIDTH = 72
LateWrap = Callable[[str], str | None]
_TAG_RE = re.compile(r"<[^>]+>")


def render_text(tokens: Sequence[Token], late_wrap: LateWrap | None = None) -> str:
    """Plain text of a markdown-it block token stream.

    `late_wrap(paragraph)` may return the paragraph wrapped for wrapping at render time (for
    paragraphs holding per-recipient fields, whose rendered width is unknown here), or None.
    """
    blocks: list[tuple[str, bool]] = []  # (text, follows the previous one on the next line)
    tight = run = False  # in a tight list's paragraph / right after a tight list item
    prefixes: list[str] = []
    counters: list[int | None] = []
    heading_level = 0
    for token in tokens:
        kind = token.type
        if kind == "paragraph_open":
            tight = token.hidden
        elif kind == "heading_open":
            heading_level = int(token.tag[1])
        elif kind in ("bullet_list_open", "ordered_list_open"):
            run = run and bool(counters)  # a new top-level list starts after a blank line
            counters.append(int(token.attrGet("start") or 1) if kind[0] == "o" else None)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            counters.pop()
            run = run and bool(counters)
        elif kind == "list_item_open":
            prefixes.append(_bullet(counters))
        elif kind == "list_item_close":
            prefixes.pop()
        elif kind == "blockquote_open":
            prefixes.append("> ")
        elif kind == "blockquote_close":
            prefixes.pop()
        elif kind == "inline" and token.children is not None:
            text = inline_text(token.children)
            late = late_wrap(text) if late_wrap and not prefixes and not heading_level else None
            text = late if late is not None else _block(text, prefixes, heading_level)
            blocks.append((text, tight and run))
            heading_level, run, tight = 0, tight, False
            _consume_bullet(prefixes)
        elif kind in ("fence", "code_block"):
            blocks.append((textwrap.indent(token.content.rstrip("\n"), "    "), False))
            run = False
        elif kind == "hr":
            blocks.append(("-" * 20, False))
            run = False
        elif kind == "html_block":
            blocks.append((_TAG_RE.sub("", token.content).strip(), False))
            run = False
    return _join([b for b in blocks if b[0].strip()])


def _join(blocks: list[tuple[str, bool]]) -> str:
    out: list[str] = []
    for number, (text, joined) in enumerate(blocks):
        if number:
            out.append("\n" if joined else "\n\n")
        out.append(text)
    return "".join(out) + "\n"


def _bullet(counters: list[int | None]) -> str:
    if not counters or counters[-1] is None:
        return "- "
    number = counters[-1]
    counters[-1] = number + 1
    return f"{number}. "


def _consume_bullet(prefixes: list[str]) -> None:
    """Only the first paragraph of a list item carries its bullet; later ones are indented."""
    if prefixes and prefixes[-1] not in ("> ",):
        prefixes[-1] = " " * len(prefixes[-1])


def _block(text: str, prefixes: list[str], heading_level: int) -> str:
    first = "".join(prefixes)
    rest = "".join(p if p == "> " else " " * len(p) for p in prefixes)
    if heading_level:
        underline = {1: "=", 2: "-"}.get(heading_level)
        line = first + " ".join(text.split())
        if underline:
            return line + "\n" + underline * min(len(line), WIDTH)
        return line
    lines: list[str] = []
    for number, part in enumerate(text.split("\n")):
        lines += textwrap.wrap(part, WIDTH, initial_indent=first if number == 0 else rest,
                               subsequent_indent=rest, break_long_words=False,
                               break_on_hyphens=False) or [rest.rstrip()]
    return "\n".join(lines)


def inline_text(children: Sequence[Token]) -> str:
    """Text of inline tokens; a link becomes `text (url)` unless the text already is the url."""
    out: list[str] = []
    link_stack: list[tuple[str, int]] = []
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline"):
            out.append(child.content)
        elif kind == "softbreak":
            out.append(" ")
        elif kind == "hardbreak":
            out.append("\n")
        elif kind == "image":
            out.append(f"[{child.content or child.attrGet('alt') or 'image'}]")
        elif kind == "link_open":
            link_stack.append((str(child.attrGet("href") or ""), len(out)))
        elif kind == "link_close" and link_stack:
            href, start = link_stack.pop()
            out.append(_link_suffix("".join(out[start:]), href))
    return "".join(out)


def _link_suffix(text: str, href: str) -> str:
    shown = href[len("mailto:"):] if href.lower().startswith("mailto:") else href
    if not shown or shown.startswith("#") or text.strip() in (href, shown):
        return ""
    return f" ({shown})"
