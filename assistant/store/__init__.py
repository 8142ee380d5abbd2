"""The store: Chroma vectors, the SQLite ledger and the keyword index."""
