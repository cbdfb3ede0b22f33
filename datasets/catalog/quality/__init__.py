"""The quality score of a dataset: criteria and flags as data (``criteria.CRITERIA``,
``criteria.FLAGS``), applied by one function (``criteria.assess``); catalog-wide flags
(``flags``); scoring the stored catalog (``scoring.refresh_quality``)."""

from datasets.catalog.quality.criteria import (
    CATALOG_FIELDS,
    CRITERIA,
    FLAGS,
    MACHINE_READABLE,
    Assessment,
    DatasetView,
    FileView,
    assess,
    grade_for,
)
from datasets.catalog.quality.flags import find_duplicates, find_fragments, score_catalog
from datasets.catalog.quality.scoring import build_view, description_length, refresh_quality

__all__ = [
    "CATALOG_FIELDS",
    "CRITERIA",
    "FLAGS",
    "MACHINE_READABLE",
    "Assessment",
    "DatasetView",
    "FileView",
    "assess",
    "build_view",
    "description_length",
    "find_duplicates",
    "find_fragments",
    "grade_for",
    "refresh_quality",
    "score_catalog",
]
