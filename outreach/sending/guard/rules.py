"""Deliverability guard rules: pure decisions from figures, no database, no servers.

Why the product pauses by itself: an NGO's sending domain is its voice. Mailbox providers
judge a sender by the share of mail that bounces, that recipients report as spam, and by
their own policy verdicts; a blast to a stale list, or one a provider has started to block,
burns that reputation at full speed if nobody is watching. The limits below are those of
the Gmail/Yahoo bulk-sender rules (complaints under 0.3 %) and common ESP practice (hard
bounces under 5 %, judged only once a sample is large enough to mean something).

The ratios are judged over a *window*: the figures since the last automatic pause of the
alert (its totals at that pause are the baseline). So a resumed alert is not paused again
by the figures the organiser has already read, but is paused again if the bad signal goes on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from outreach.config import Settings
from outreach.errors import UserError

# The enhanced status code (RFC 3463) in an SMTP reply: class.subject.detail.
_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
# Words providers use when they refuse the sender rather than the address.
_POLICY_WORDS = re.compile(
    r"\b(blocked|block ?list(ed)?|black ?list(ed)?|deny ?list(ed)?|spam\w*|spamhaus|"
    r"unsolicited|reputation)\b", re.IGNORECASE)
REPLIES_KEPT = 5


def is_policy_rejection(code: int, text: str) -> bool:
    """A permanent refusal of the *sender* (5.7.x, or "blocked"/"spam"/"blacklisted"), as
    opposed to a bad address (5.1.x) or a full mailbox (5.2.x).

    Such a reply says nothing about the recipient: it must not suppress the address nor count
    as a hard bounce; it says the domain's provider is refusing us, which the guard watches.
    """
    if code < 500:
        return False
    enhanced = _ENHANCED.search(text or "")
    if enhanced and enhanced.group(2) == "7":
        return True
    if enhanced and enhanced.group(2) in ("1", "2"):  # the address itself: a hard bounce
        return False
    return bool(_POLICY_WORDS.search(text or ""))


@dataclass(frozen=True)
class GuardLimits:
    """When to pause. Deployment defaults from OUTREACH_GUARD_*; per alert via `alert guard`."""

    enabled: bool = True
    hard_bounce_percent: float = 5.0
    min_attempts: int = 200
    complaint_percent: float = 0.3
    policy_rejections: int = 3
    policy_domains: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> GuardLimits:
        return cls(hard_bounce_percent=settings.guard_hard_bounce_percent,
                   min_attempts=settings.guard_min_attempts,
                   complaint_percent=settings.guard_complaint_percent,
                   policy_rejections=settings.guard_policy_rejections,
                   policy_domains=settings.guard_policy_domains)

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> GuardLimits:
        """These limits with an alert's stored overrides (unknown keys ignored: old rows)."""
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in (overrides or {}).items() if k in known})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# name -> (type, lowest, highest): what `alert guard --set NAME=VALUE` accepts.
OVERRIDABLE: dict[str, tuple[type, float, float]] = {
    "hard_bounce_percent": (float, 0.0, 100.0),
    "min_attempts": (int, 1, 10**9),
    "complaint_percent": (float, 0.0, 100.0),
    "policy_rejections": (int, 1, 10**9),
    "policy_domains": (int, 1, 10**9),
}


def parse_override(text: str) -> tuple[str, int | float]:
    """`NAME=VALUE` from the command line; a UserError naming the option when it is wrong."""
    name, sep, raw = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or name not in OVERRIDABLE:
        raise UserError(f"--set {text!r}: expected NAME=VALUE with NAME one of "
                        f"{', '.join(OVERRIDABLE)}")
    kind, low, high = OVERRIDABLE[name]
    try:
        value = kind(raw.strip().rstrip("%"))
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise UserError(f"--set {text!r}: {raw.strip()!r} is not {what}") from None
    if not low <= value <= high:
        raise UserError(f"--set {text!r}: must be between {low:g} and {high:g}")
    return name, value


@dataclass(frozen=True)
class Figures:
    """An alert's totals: SMTP attempts with a final answer, hard bounces, deliveries,
    complaints."""

    attempts: int = 0
    hard_bounces: int = 0
    delivered: int = 0
    complaints: int = 0

    def since(self, baseline: Mapping[str, int] | None) -> Figures:
        base = baseline or {}
        return Figures(*(max(0, getattr(self, f.name) - int(base.get(f.name, 0)))
                         for f in fields(self)))

    def to_json(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Trip:
    """A reason to pause: a machine-readable reason, a sentence for people, the figures."""

    reason: str  # "hard_bounces" | "complaints" | "policy_domains"
    message: str
    figures: dict[str, Any]


def percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def hard_bounce_trip(window: Figures, limits: GuardLimits) -> Trip | None:
    """Hard bounces above the limit, once the window holds enough attempts to judge."""
    if not limits.enabled or window.attempts < limits.min_attempts:
        return None
    rate = percent(window.hard_bounces, window.attempts)
    if rate <= limits.hard_bounce_percent:
        return None
    return Trip("hard_bounces",
                f"{window.hard_bounces} hard bounces in {window.attempts} attempts ({rate:g} %) "
                f"is above the limit of {limits.hard_bounce_percent:g} %: the list looks stale",
                {"hard_bounces": window.hard_bounces, "attempts": window.attempts,
                 "percent": rate, "limit_percent": limits.hard_bounce_percent})


def complaint_trip(window: Figures, limits: GuardLimits) -> Trip | None:
    """Complaints (ARF reports) above the limit of what was delivered."""
    if not limits.enabled or window.complaints == 0:
        return None
    rate = percent(window.complaints, max(window.delivered, 1))
    if rate <= limits.complaint_percent:
        return None
    return Trip("complaints",
                f"{window.complaints} spam complaints for {window.delivered} delivered "
                f"({rate:g} %) is above the limit of {limits.complaint_percent:g} %",
                {"complaints": window.complaints, "delivered": window.delivered,
                 "percent": rate, "limit_percent": limits.complaint_percent})


def domain_paused(rejections: int, limits: GuardLimits) -> bool:
    """Enough distinct messages refused for policy by one domain to pause that domain."""
    return limits.enabled and rejections >= limits.policy_rejections


def policy_domains_trip(paused: list[str], limits: GuardLimits) -> Trip | None:
    """Several domains refusing us: the problem is the sender, so the whole alert pauses."""
    if not limits.enabled or len(paused) < limits.policy_domains:
        return None
    names = ", ".join(sorted(paused))
    return Trip("policy_domains",
                f"{len(paused)} recipient domains refuse the mail for policy reasons ({names}): "
                "the sending domain or server is probably blocklisted",
                {"domains": sorted(paused), "limit_domains": limits.policy_domains})


def reply_sample(replies: list[dict[str, Any]], new: dict[str, Any]) -> list[dict[str, Any]]:
    """The last few triggering replies, newest last (bounded: they are shown, not counted)."""
    return [*replies, new][-REPLIES_KEPT:]
