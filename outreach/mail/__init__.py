"""Composing mail: the per-recipient MIME message (`compose`, over the fast `mime_template`),
signed tokens and links, DKIM, and preview/test copies built by the same composer."""
