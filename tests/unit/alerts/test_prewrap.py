"""`prewrap`: wrapping a paragraph's constant start once per alert changes nothing."""

from __future__ import annotations

import random

import pytest
from jinja2 import Environment

from outreach.alerts.compile import prewrap
from outreach.alerts.plaintext import WIDTH

WRAP = Environment().from_string(f"{{% filter wordwrap({WIDTH}, false, none, false) %}}"
                                 "{{ text }}{% endfilter %}")
PIECES = ["word", "a", "longerword", "x" * 80, " ", "  ", "\t", "\n", "\r", "\r\n", "\n\n",
          "Ünïcode", "dash-ed", ",", "."]


def wrap(text: str) -> str:
    return WRAP.render(text=text)


def random_text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(PIECES) if rng.random() < 0.3 else rng.choice(PIECES[:4]) + " "
                   for _ in range(n))


@pytest.mark.parametrize("seed", range(40))
def test_settled_lines_plus_late_wrap_equal_one_wrap(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        prefix = random_text(rng, rng.randint(0, 80))
        settled, unsettled = prewrap(prefix)
        for rest in ("", "Anna", " Anna", "\nAnna", "Anna " + random_text(rng, 20), "-x",
                     "\n", " " + random_text(rng, 5)):
            assert settled + wrap(unsettled + rest) == wrap(prefix + rest), (prefix, rest)


def test_a_long_constant_start_is_wrapped_once() -> None:
    prefix = "A government decision is expected within the next few days. " * 4
    settled, unsettled = prewrap(prefix)
    assert settled.count("\n") >= 2 and len(unsettled) <= WIDTH + 1
