"""outreach: self-hosted media-outreach mailing for press and human-rights teams."""

__version__ = "0.1.0"
