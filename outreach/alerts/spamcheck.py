"""An optional spam score for a compiled message, when SpamAssassin is on the machine.

Why in preview: a phrase, a missing header or an image-only layout can push an urgent alert
into the junk folder, and the preview is the last moment the author can still change it.
The rules of Apache SpamAssassin are what many receiving servers run, so its score is a fair
first warning. Run with `-L` (local tests only): no network lookups, so the score does not
depend on blocklists this machine may not reach, and nothing about the message leaves it.

`spamassassin` (the Perl script, a second or two per call) is used when installed; else
`spamc -x` against a running spamd. Without either, `spam_score` returns None and preview
simply says nothing about spam.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

TIMEOUT_SECONDS = 60
_HEADER = "X-Spam-Outreach-Rules"  # SpamAssassin prefixes added headers with X-Spam-
# Make SpamAssassin list every rule hit with its score in one header we can parse.
_CONFIG = f"add_header all {_HEADER.removeprefix('X-Spam-')} _SCORE_ _TESTSSCORES(,)_"


@dataclass(frozen=True)
class SpamReport:
    score: float
    rules: dict[str, float]  # rule name -> points, highest first
    tool: str

    def line(self) -> str:
        rules = ", ".join(f"{name} {points:+g}" for name, points in self.rules.items())
        return f"SpamAssassin score {self.score:g} ({self.tool}; rules: {rules or 'none'})"


def available() -> str | None:
    """The tool that would be used, or None."""
    return shutil.which("spamassassin") or shutil.which("spamc")


def spam_score(message: bytes) -> SpamReport | None:
    """Score `message` (bytes as sent); None when SpamAssassin is not installed or fails."""
    tool = available()
    if tool is None:
        return None
    local = tool.endswith("spamassassin")
    command = [tool, "-L", "--cf", _CONFIG] if local else [tool, "-x", "-R"]
    try:
        done = subprocess.run(command, input=message, capture_output=True,  # noqa: S603
                              timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    output = done.stdout.decode("utf-8", "replace")
    if local:
        return _from_header(output, "spamassassin")
    return _from_spamc(output) if done.returncode in (0, 1) else None


def _from_header(output: str, tool: str) -> SpamReport | None:
    """Parse our header, `X-Spam-Outreach-Rules: 1.2 RULE_A=0.9,RULE_B=0.3` (folded)."""
    headers = output.replace("\r\n", "\n").split("\n\n", 1)[0]
    match = re.search(rf"^{_HEADER}:\s*(.*(?:\n[ \t].*)*)", headers, re.MULTILINE)
    if match is None:
        return None
    value = " ".join(match.group(1).split())
    score, _, tests = value.partition(" ")
    rules: dict[str, float] = {}
    for item in tests.replace(" ", "").split(","):
        name, _, points = item.partition("=")
        if name and points:
            rules[name] = float(points)
    ordered = dict(sorted(rules.items(), key=lambda kv: (-kv[1], kv[0])))
    return SpamReport(float(score), ordered, tool)


def _from_spamc(output: str) -> SpamReport | None:
    """`spamc -R`: "score/threshold" then the report table (" 2.7 MISSING_DATE  ...")."""
    first, _, table = output.partition("\n")
    try:
        score = float(first.split("/")[0])
    except ValueError:
        return None
    rules = {m.group(2): float(m.group(1))
             for m in re.finditer(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s", table, re.MULTILINE)}
    return SpamReport(score, dict(sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))), "spamc")
