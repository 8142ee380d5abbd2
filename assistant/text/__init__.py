"""Text and figures: normalisation, CJK script, numbers with units."""
