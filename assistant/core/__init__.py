"""Types, errors, settings and the wiring of backends shared by every stage."""
