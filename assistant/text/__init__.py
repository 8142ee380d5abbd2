"""Text shared by every stage: normalisation (``normalize``), CJK script and width (``cjk``), figures with
units (``figures``), dates (``dates``) and table rows (``tables``)."""
