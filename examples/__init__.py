"""Example alert sources and contacts; installed as the data package `outreach.examples`
(the demo reads them from there, so it runs from a wheel too)."""
