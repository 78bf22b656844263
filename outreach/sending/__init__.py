"""Blast sending: message states, blast creation, claiming, delivery, sweeping, control."""
