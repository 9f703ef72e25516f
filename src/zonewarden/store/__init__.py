"""Persistence for the web app: SQLAlchemy 2, SQLite by default, PostgreSQL by URL (design §2, §6)."""
