"""Effectors: the only code that changes the world (RFC 2136 DNS, monitoring registration, notify)."""
