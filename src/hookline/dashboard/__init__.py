"""The dashboard at /ui (server-rendered)."""
