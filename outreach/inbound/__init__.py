"""What comes back from recipients: bounces, replies, auto-replies, complaints and unsubscribes
read over IMAP, and unsubscribes through the signed link in every message (`unsubscribe`).

parse (bytes -> InboundParsed) -> classify (pure) -> match (token, Message-ID, sender) ->
record (DB, deduplicated by external_id) -> poll (commit, then flag/move on the server).
Only `outreach.inbound.imap` talks to the IMAP server. `queries` are the read side (replies,
unmatched mail).
"""
