"""Search: the full-text index of public catalog entries and keeping it in step."""
