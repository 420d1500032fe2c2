"""The embedded default store: one SQLite file (WAL), one aiosqlite connection per app. Imports core and storage."""
from storage.sqlite.store import SqliteStore, open_sqlite

__all__ = ["SqliteStore", "open_sqlite"]
