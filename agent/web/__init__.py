"""The status page the agent serves: the OPD board, triage, tickets and reports, behind a login."""
