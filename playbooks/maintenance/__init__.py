"""Periodic maintenance (Batam SOP 05): collection, the run, and its reports."""
