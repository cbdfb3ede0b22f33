"""De-identification (脱敏) of tables before publication: per-column policies, GB/T 37964.

Techniques: suppression (``suppress``), keyed pseudonyms (``pseudonym``), generalisation
(``year``, ``district``) and partial masking (``mask-*``): the table ``policies.POLICIES``. They
are chosen per column by an operator, or by ``default_rules`` from the scanner's findings and the
default policy of each kind of personal information (``datasets.openness.pii.kinds.KINDS``).
Masking fails closed: a value a masking policy cannot handle becomes ``***``. ``mask_csv`` and
``mask_xlsx`` stream whole files.
"""

from datasets.openness.masking.files import MaskStats, mask_csv, mask_xlsx
from datasets.openness.masking.masker import Masker, mask_rows
from datasets.openness.masking.policies import (
    POLICIES,
    POLICIES_BY_CODE,
    Policy,
    check_rules,
    default_rules,
)

__all__ = [
    "POLICIES",
    "POLICIES_BY_CODE",
    "MaskStats",
    "Masker",
    "Policy",
    "check_rules",
    "default_rules",
    "mask_csv",
    "mask_rows",
    "mask_xlsx",
]
