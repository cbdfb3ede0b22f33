"""Formats of remote distributions: which access URLs are data files, and a short format code
for each, from what catalogs declare (format names, media types, EU file-type and IANA IRIs) and
from the URL's suffix; and short ids for the well-known open licences."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

# file suffix → format code; only these make an access URL "look like a file"
DATA_SUFFIXES = {
    "csv": "csv",
    "tsv": "tsv",
    "txt": "txt",
    "xlsx": "xlsx",
    "xls": "xls",
    "ods": "ods",
    "json": "json",
    "geojson": "geojson",
    "jsonld": "jsonld",
    "xml": "xml",
    "rdf": "rdf",
    "ttl": "ttl",
    "nt": "nt",
    "zip": "zip",
    "gz": "gz",
    "pdf": "pdf",
    "doc": "doc",
    "docx": "docx",
    "kml": "kml",
    "kmz": "kmz",
    "gpkg": "gpkg",
    "shp": "shp",
    "gml": "gml",
    "parquet": "parquet",
    "nc": "nc",
}
# media type → format code; text/html, application/http and the like are not files
MEDIA_TYPES = {
    "text/csv": "csv",
    "application/csv": "csv",
    "text/tab-separated-values": "tsv",
    "text/plain": "txt",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/json": "json",
    "application/geo+json": "geojson",
    "application/vnd.geo+json": "geojson",
    "application/ld+json": "jsonld",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/rdf+xml": "rdf",
    "text/turtle": "ttl",
    "application/n-triples": "nt",
    "application/zip": "zip",
    "application/x-zip-compressed": "zip",
    "application/gzip": "gz",
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.google-earth.kml+xml": "kml",
    "application/vnd.google-earth.kmz": "kmz",
    "application/geopackage+sqlite3": "gpkg",
    "application/gml+xml": "gml",
    "application/x-netcdf": "nc",
}
# format names catalogs write → format code (EU file-type IRIs end in these too)
FORMAT_NAMES = {
    **DATA_SUFFIXES,
    "excel": "xlsx",
    "shapefile": "shp",
    "esri shapefile": "shp",
    "geo+json": "geojson",
    "json-ld": "jsonld",
    "rdf/xml": "rdf",
    "rdf_xml": "rdf",
    "turtle": "ttl",
    "zipped csv": "zip",
}


def _suffix_format(url: str | None) -> str | None:
    if not url:
        return None
    path = unquote(urlsplit(url).path).lower()
    name = path.rsplit("/", 1)[-1]
    if "." not in name:
        return None
    return DATA_SUFFIXES.get(name.rsplit(".", 1)[-1])


def _media_format(media_type: str | None) -> str | None:
    if not media_type:
        return None
    value = media_type.strip().lower()
    if "://" in value:  # an IANA IRI: …/media-types/text/csv
        match = re.search(r"media-types/(.+)$", value)
        value = match.group(1) if match else value.rsplit("/", 1)[-1]
    return MEDIA_TYPES.get(value.split(";")[0].strip())


def _named_format(fmt: str | None) -> str | None:
    if not fmt:
        return None
    value = fmt.strip().lower()
    if "://" in value:  # an EU file-type IRI: …/file-type/CSV
        value = value.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    if value in FORMAT_NAMES:
        return FORMAT_NAMES[value]
    return _media_format(value) if "/" in value else None


def file_format(fmt: str | None, media_type: str | None, url: str | None) -> str:
    """A short lower-case format code (at most 20 characters) for a distribution: as declared
    (format, then media type), else from the URL's suffix. Catalogs often write XLS for an
    .xlsx file: between the two Excel formats the suffix wins."""
    known = _named_format(fmt) or _media_format(media_type)
    suffix = _suffix_format(url)
    if known in ("xls", "xlsx") and suffix in ("xls", "xlsx"):
        return suffix
    if known:
        return known
    if suffix:
        return suffix
    token = re.sub(r"[^a-z0-9]+", "", (fmt or "").lower())
    return token[:20] if token and len(token) <= 10 else "bin"


def looks_like_file(url: str | None, media_type: str | None) -> bool:
    """An access URL is worth downloading when its path ends in a data suffix, or when it names
    a document (not a folder or site root) of a declared data media type."""
    if not url:
        return False
    if _suffix_format(url):
        return True
    path = urlsplit(url).path
    return bool(path.strip("/")) and not path.endswith("/") and bool(_media_format(media_type))


_CC = re.compile(r"creativecommons\.org/licenses/([a-z-]+)/(\d\.\d)", re.I)


def license_id_for(url: str | None) -> str | None:
    """A short licence id for the well-known open licences; ``None`` for others."""
    if not url:
        return None
    lower = url.lower()
    match = _CC.search(lower)
    if match:
        return f"CC-{match.group(1).upper()}-{match.group(2)}"
    if "publicdomain/zero" in lower or lower.rstrip("/").endswith(("cc-zero", "cc0")):
        return "CC0-1.0"
    if "publicdomain/mark" in lower:
        return "PDM-1.0"
    eu = re.search(r"authority/licence/cc_([a-z_]+)_(\d)_(\d)$", lower)
    if eu:
        return f"CC-{eu.group(1).upper().replace('_', '-')}-{eu.group(2)}.{eu.group(3)}"
    for key, ident in (("odc-by", "ODC-BY-1.0"), ("odbl", "ODbL-1.0"), ("odc-pddl", "PDDL-1.0")):
        if key in lower and "opendatacommons" in lower:
            return ident
    return None
