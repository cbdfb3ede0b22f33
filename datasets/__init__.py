"""The domain core of the portal: catalog, openness rules, validation, search and storage.

Nothing here imports Flask; the harvester, the CLI and the web app all call these services.
"""
