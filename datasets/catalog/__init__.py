"""The read side of the catalog: services, package dicts, vocabularies, slugs, quality."""
