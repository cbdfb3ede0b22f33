"""The labelled tables of the scanner benchmark (``build.py`` writes them)."""
