"""The deliverability guard: pause a blast, or one recipient domain of it, on bad signals.

`rules` decides from figures (pure); `watch` applies the decisions as outcomes are recorded;
`held` is the SQL the claim uses to skip paused domains; `view` is what the organiser sees.
"""
