"""The package's version, in one place: the package exports it and a sweep's config fingerprint
includes it (a point finished under another version runs again)."""

__version__ = "0.1.0"
