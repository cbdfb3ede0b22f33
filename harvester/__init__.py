"""The harvester: source kinds and the gather → fetch → import pipeline.

It uses the domain core (``datasets``) and never the web app.
"""
