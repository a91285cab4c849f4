"""The daemon and the CLI: configuration, store, scheduler and wiring."""

__version__ = "0.1.0"
