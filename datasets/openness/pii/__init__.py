"""Personal information: patterns, the table scanner and its findings (SPEC §5)."""
