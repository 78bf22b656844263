"""Inbound mail: bounces, replies, auto-replies, complaints and unsubscribes read over IMAP.

parse (bytes -> InboundParsed) -> classify (pure) -> match (token, Message-ID, sender) ->
record (DB, deduplicated by external_id) -> poll (commit, then flag/move on the server).
Only `outreach.inbound.imap` talks to the IMAP server.
"""
