"""The write path: harvested records, preparing files, validation, publishing, storage."""
