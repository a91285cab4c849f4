"""Outage triage (SOP 15 steps 2-4): decide (pure rule table) and gather (probes)."""
