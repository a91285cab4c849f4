"""Read-only access to the network; each collector returns typed observations."""
