"""Openness: the exclusion rules, personal-information kinds and scanning, masking, curation."""
