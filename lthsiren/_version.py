"""The package version, in a module of its own so that no module depends on import order."""

__version__ = "0.2.0"
