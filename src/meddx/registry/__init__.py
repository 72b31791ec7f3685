"""SQLite index of bundles and runs under the data root."""
