"""The SOPs as code."""
