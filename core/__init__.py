"""Pure domain logic: rates, health, rollups, snapshot, topology, findings, SOP timing. No I/O."""
