"""The lab: a containerlab topology realized on Linux network namespaces."""
