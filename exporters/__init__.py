"""Prometheus exposition and reports."""
