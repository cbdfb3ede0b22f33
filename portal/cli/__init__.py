"""The ``kaifang`` command: thin over the same services the web app uses.

Every command exits non-zero with a one-line reason when it fails. Each module registers one
area's commands on the group ``main``.
"""

from portal.cli import accounts, backup, curation, harvesting, instance, publishing, services, terms
from portal.cli.common import main

__all__ = [
    "accounts",
    "backup",
    "curation",
    "harvesting",
    "instance",
    "main",
    "publishing",
    "services",
    "terms",
]
