"""The daemon and the CLI: configuration, store, scheduler and wiring."""

__version__ = "0.2.0"  # pyproject.toml reads it from here; CHANGELOG.md says what it holds
