"""Ingestion: files → readers → Document → chunks → store."""
