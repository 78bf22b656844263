"""Email layouts and web pages; installed as the data package `outreach.templates`."""
