"""Every setting of the portal, declared once with its default and help text.

Settings are read when a runtime or the web app is created, never at import time.
Each one can be overridden by an environment variable ``KAIFANG_<NAME>`` (upper case) and by
a mapping passed to :func:`load_settings` (tests and the app factory use that).
"""

# size: one declaration per setting with its help text; the list is read as a whole

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from datasets.errors import ConfigError

if TYPE_CHECKING:
    from datasets.legal import LegalText

ENV_PREFIX = "KAIFANG_"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_HOST_NAME = re.compile(r"\.?[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")
# numeric notations that are not addresses ipaddress reads (2130706433, 0x7f.1): no host names
_NUMERIC = re.compile(r"\.?(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+))*\.?")


def _setting(default: Any, help: str, *, secret: bool = False) -> Any:
    return field(default=default, metadata={"help": help, "secret": secret})


@dataclass(frozen=True)
class Settings:
    """The portal's configuration. Field metadata carries the help text shown in the docs."""

    instance: str = _setting(
        "instance",
        "Instance folder holding the SQLite database (with its search index) and the files.",
    )
    database_url: str = _setting(
        "",
        "SQLAlchemy database URL, e.g. postgresql+psycopg://user@host/db. "
        "Empty means SQLite in the instance folder.",
    )
    secret_key: str = _setting(
        "",
        "Key signing sessions and CSRF tokens. Empty means a random key kept in "
        "<instance>/secret_key (created on first use, readable only by its owner).",
        secret=True,
    )
    masking_key: str = _setting(
        "",
        "Key of the keyed pseudonyms (HMAC) used when masking personal data; keep it stable so "
        "pseudonyms stay the same across harvests. Empty means a random key kept in "
        "<instance>/masking_key.",
        secret=True,
    )
    scan_row_limit: int = _setting(
        0, "Rows of each table the personal-information scanner reads (0 means all rows)."
    )
    site_name: str = _setting("江州市公共数据开放平台", "Portal name shown in page titles.")
    legal_text: str = _setting(
        "",
        "TOML file of the legal text the portal cites: the city, the supervising bureau "
        "(主管部门), the regulation and the article each exclusion rule rests on. Empty means "
        "the bundled config/legal.toml. Read and checked at start.",
    )
    base_url: str = _setting(
        "",
        "Public base URL used in every link the portal gives out (e.g. "
        "https://data.example.gov.cn). Empty means the URL of the current request (development "
        "only: production mode requires it).",
    )
    production: bool = _setting(
        False,
        "Production mode: KAIFANG_BASE_URL is required (https, or http on a loopback host), "
        "session cookies are Secure, and a request whose Host is neither the host of "
        "KAIFANG_BASE_URL nor one of KAIFANG_ALLOWED_HOSTS gets 400.",
    )
    allowed_hosts: str = _setting(
        "",
        "Production mode: further host names or addresses the portal answers to besides the host "
        "of KAIFANG_BASE_URL, separated by commas (e.g. the address a health check uses). Ports "
        "are not compared.",
    )
    page_size: int = _setting(20, "Datasets per page in search results.")
    api_max_rows: int = _setting(1000, "Largest `rows` a package_search call may ask for.")
    api_default_rows: int = _setting(10, "`rows` of a package_search call that names none.")
    datastore_sql: bool = _setting(
        False,
        "Whether CKAN's datastore_search_sql answers (one read-only SELECT over the public "
        "tables). On PostgreSQL it also needs KAIFANG_DATASTORE_SQL_URL.",
    )
    datastore_sql_url: str = _setting(
        "",
        "PostgreSQL: the database URL of a role that may read the datastore_public schema and "
        "nothing else; datastore_search_sql runs as it.",
        secret=True,
    )
    datastore_sql_timeout_ms: int = _setting(
        3000, "Time limit of one datastore_search_sql statement, in milliseconds."
    )
    search_synonyms: str = _setting(
        "",
        "Synonym table of search (one group of equivalent words per line). Empty means the "
        "bundled config/synonyms.txt. Edits apply within a second, without a restart.",
    )
    max_file_bytes: int = _setting(
        200 * 1024 * 1024, "Largest data file the harvester accepts, in bytes."
    )
    harvest_timeout: float = _setting(
        30.0, "Seconds the harvester waits for a remote source to answer before giving up."
    )
    harvest_retries: int = _setting(
        2,
        "Extra attempts the harvester makes after a remote source answers 429 or 5xx or drops "
        "the connection (never after an unresolvable name, a refused connection or no answer).",
    )
    harvest_workers: int = _setting(
        0, "Worker processes validating and scanning files during a harvest (0 means one per CPU)."
    )
    harvest_downloads: int = _setting(
        8, "Files a harvest job downloads at the same time, from all hosts together."
    )
    harvest_host_downloads: int = _setting(
        2, "Files a harvest job downloads at the same time from one host (polite to small servers)."
    )
    harvest_host_failures: int = _setting(
        3,
        "Connection failures (unresolvable name, refused, no answer, deadline) to one host after "
        "which a job stops trying that host and marks its remaining files with one reason.",
    )
    harvest_download_seconds: float = _setting(
        300.0,
        "Overall deadline of one download, from the request to the last byte, retries included: "
        "a server that drips its answer cannot hold a job longer.",
    )
    harvest_job_minutes: float = _setting(
        240.0,
        "Overall deadline of one harvest job; past it, the job stops taking new entries, marks "
        "the files not yet downloaded and ends as incomplete (nothing is withdrawn).",
    )
    harvest_allowed_networks: str = _setting(
        "",
        "Hosts and networks the harvester may fetch from although their addresses are internal "
        "(loopback, private, link-local …), separated by commas: host names (.example.gov.cn "
        "includes its subdomains), addresses or CIDR networks such as 10.20.0.0/16. Empty means "
        "none; a source may always read from its own origin (the scheme, host and port of its "
        "location).",
    )
    harvest_stale_minutes: int = _setting(
        30, "Minutes without a heartbeat after which a running harvest job counts as dead."
    )
    harvest_queue: str = _setting(
        "kaifang-harvest",
        "Name of the RQ queue that kaifang harvest --queue fills and kaifang worker serves.",
    )
    harvest_spread_validation: bool = _setting(
        True,
        "Whether a queued harvest hands the files it has to validate to the queue's other "
        "workers as well (queue <HARVEST_QUEUE>-validate). Workers on several hosts need the "
        "instance folder shared, as the files store does; a file another host cannot read is "
        "validated by the harvesting job itself.",
    )
    harvest_job_timeout: int = _setting(
        6 * 3600,
        "Seconds a queued harvest job may run before its worker stops it (the job is marked "
        "failed with the reason).",
    )
    redis_url: str = _setting(
        "",
        "Redis of the harvest queue (kaifang harvest --queue, kaifang worker), e.g. "
        "redis://127.0.0.1:6379/1. Empty means KAIFANG_RATELIMIT_STORAGE_URI when that is a "
        "redis:// URL; without Redis, kaifang harvest runs harvests in its own process.",
        secret=True,
    )
    withdraw_grace_days: float = _setting(
        3.0,
        "Days an entry may be missing from its source before it is withdrawn (0 withdraws at "
        "once).",
    )
    validation_row_limit: int = _setting(
        100_000, "Rows of each table that Frictionless validates (0 means all)."
    )
    # -- the table reader's bounds: a file past one of them is held with the reason ----------
    table_max_columns: int = _setting(
        1000, "Most columns a table (a CSV, a sheet of a workbook) may have."
    )
    table_max_cell_chars: int = _setting(
        32767, "Most characters one cell may hold (Excel's own limit)."
    )
    table_max_line_bytes: int = _setting(
        4 * 1024 * 1024, "Longest line of a text table (CSV, TSV, TXT), in characters once decoded."
    )
    table_max_rows: int = _setting(2_000_000, "Most rows one table or sheet may have.")
    table_max_unpacked_bytes: int = _setting(
        1024 * 1024 * 1024,
        "Most bytes the parts of one workbook, office document or archive may unpack to.",
    )
    table_max_memory_bytes: int = _setting(
        64 * 1024 * 1024,
        "Largest part that must be read whole into memory: a workbook's shared strings, an old "
        "XLS workbook, a PDF.",
    )
    ratelimit_storage_uri: str = _setting(
        "memory://",
        "Where rate limits count: memory:// (each process its own budgets) or, in production, "
        "redis://host:port/db (one budget for all workers and machines).",
    )
    ratelimit_default: str = _setting(
        "600 per minute",
        "Rate limit of each API address and of file downloads, per API key (a valid one) or "
        "else per client address.",
    )
    ratelimit_pages: str = _setting(
        "600 per minute", "Rate limit of all pages together (not /api/), per client."
    )
    ratelimit_search: str = _setting(
        "60 per minute",
        "Rate limit of searching with facets (the search page, package_search, "
        "datastore_search_sql), per client, on top of the page or API limit.",
    )
    ratelimit_exports: str = _setting(
        "30 per minute",
        "Rate limit of conversions (?format=), row exports and whole-catalog lists "
        "(open-list.csv, the statistics page, current_package_list_with_resources), per client.",
    )
    ratelimit_login: str = _setting("10 per minute", "Rate limit of sign-in attempts, per client.")
    ratelimit_register: str = _setting("10 per hour", "Rate limit of registrations, per client.")
    ratelimit_verification: str = _setting(
        "5 per minute", "Rate limit of sending and of confirming verification codes, per client."
    )
    ratelimit_enabled: bool = _setting(True, "Whether rate limits are enforced.")
    ratelimit_storage_down: str = _setting(
        "serve",
        "When the rate limit storage (Redis) does not answer: serve (count in each process's "
        "memory meanwhile, logging an ERROR once a minute) or refuse (answer 503).",
    )
    ratelimit_key_prefix: str = _setting(
        "LIMITS", "Prefix of the rate limit keys in Redis (two portals sharing one Redis)."
    )
    trusted_proxies: str = _setting(
        "",
        "Front servers (nginx) whose X-Forwarded-For is believed: addresses or CIDR networks "
        "separated by commas. The client's address is then the rightmost one in that header "
        "that is not a trusted proxy. Empty means none: the direct peer is the client.",
    )
    cors_public_reads: bool = _setting(
        True,
        "Whether public read APIs (GET /api/3/action/*, GET /api/v1/*), the open metadata and "
        "public file downloads answer with Access-Control-Allow-Origin: * so web pages on other "
        "sites can read them.",
    )
    accel_redirect: str = _setting(
        "",
        "Internal location of a web server in front (nginx) that serves the instance's files "
        "folder, e.g. /_kaifang_files/: a file download is then answered, after its checks "
        "and its access log, with X-Accel-Redirect to it and no body. Empty means the portal "
        "sends files itself.",
    )
    log_level: str = _setting("INFO", "Logging level of the CLI and the web app.")
    static_dir: str = _setting(
        "",
        "Output folder of kaifang build-static (the tree a web server serves is its current "
        "link). When set, a dataset that stops being public, or changes, loses its files from "
        "the current tree in the same transaction's commit. Empty means no static build.",
    )

    pg_bin_dir: str = _setting(
        "",
        "Folder of the PostgreSQL client tools kaifang backup and restore run (pg_dump, "
        "pg_restore; their version at least the server's). Empty means the ones on PATH.",
    )

    # -- public services: deadlines in working days (工作日), SPEC §7 -----------------------
    holiday_table: str = _setting(
        "",
        "TOML file of holidays and make-up working days (调休) for years the bundled Chinese "
        "calendar does not cover yet; deadlines reaching such years are marked provisional. "
        "Empty means config/holidays.toml of the portal.",
    )
    days_application: int = _setting(
        10, "Working days a department has to decide an application for conditional data."
    )
    days_correction_request: int = _setting(
        5, "Working days after receipt within which a department may ask for missing items (补正)."
    )
    days_extension: int = _setting(
        15, "Most working days one extension of an application's deadline may add."
    )
    days_opening_request: int = _setting(
        10, "Working days a department has to answer a request to open data (开放需求)."
    )
    assessment_requesters: int = _setting(
        3,
        "Distinct requesters asking for the same closed dataset within 12 months that open a "
        "mandatory opening assessment (开放评估).",
    )
    days_assessment: int = _setting(
        20, "Working days a department has to complete a mandatory opening assessment."
    )
    days_objection_filing: int = _setting(
        15, "Working days after a refusal within which the applicant may object (异议/复核)."
    )
    days_objection_decision: int = _setting(
        10, "Working days the supervising bureau has to decide an objection."
    )
    days_provide_after_ruling: int = _setting(
        5, "Working days a department has to grant access after a ruling in the applicant's favour."
    )
    days_error_report: int = _setting(
        5, "Working days a department has to answer an error report (纠错)."
    )
    days_rights_decision: int = _setting(
        5, "Working days a department has to decide a rights-holder objection (权益异议)."
    )
    days_suggestion: int = _setting(
        10, "Working days a department has to answer a suggestion (意见建议)."
    )
    days_rights_suspension: int = _setting(
        1,
        "Working days a department has to decide whether to suspend a dataset on a rights-holder "
        "objection that did not suspend it at once (filed without a verified account).",
    )
    rights_objections_per_day: int = _setting(
        3, "Rights-holder objections one requester (account or contact) may file per day."
    )
    rights_suspensions_per_day: int = _setting(
        10,
        "Datasets that verified rights holders may suspend at once per day, portal-wide; "
        "further objections that day go to the department to decide on suspension.",
    )

    # -- signing in: failures counted in the database, locks that end by themselves ------------
    sign_in_attempts: int = _setting(
        5,
        "Failed sign-ins of one user name after which it is locked: 30 seconds, doubling with "
        "each further failure up to KAIFANG_SIGN_IN_LOCK_MINUTES. A successful sign-in clears "
        "the name's count; counts are forgotten an hour after the last failure.",
    )
    sign_in_address_attempts: int = _setting(
        20, "Failed sign-ins from one client address (any user name) after which it is locked."
    )
    api_key_attempts: int = _setting(
        20, "Invalid API keys one client address may send before it is locked (429, Retry-After)."
    )
    sign_in_lock_minutes: int = _setting(
        15, "Longest lock of a user name or client address after failed attempts, in minutes."
    )

    # -- verified contacts ----------------------------------------------------------------------
    verification_code_minutes: int = _setting(
        15, "Minutes a verification code sent to an e-mail address or phone stays valid."
    )
    verification_codes_per_hour: int = _setting(
        3, "Verification codes one e-mail address or phone may be sent per hour."
    )
    verification_attempts: int = _setting(
        5, "Wrong entries after which a verification code stops working."
    )
    sms_gateway_url: str = _setting(
        "",
        "URL of the SMS gateway verification codes to phones are POSTed to as JSON {phone, "
        "text}. Empty means phones cannot be verified (e-mail only).",
    )
    review_cycle_months: int = _setting(
        12,
        "Months between the periodic reviews (定期评估审查) of each entry outside the open scope "
        "(有条件开放 and 不予开放); kaifang services sweep opens the review tasks that are due.",
    )
    days_review: int = _setting(
        20, "Working days a department has to complete a periodic review (定期评估审查)."
    )
    grant_report_months: int = _setting(
        6,
        "Months between the use reports a grant holder owes; a report overdue suspends the grant.",
    )
    grant_max_months: int = _setting(24, "Longest period of use an application may ask for.")
    attachment_max_bytes: int = _setting(
        2 * 1024 * 1024,
        "Largest supporting document (PDF, PNG or JPEG) an applicant may attach, in bytes "
        "(a request may be this plus 64 KiB; raise nginx's client_max_body_size with it).",
    )
    grant_final_report_days: int = _setting(
        30,
        "Days after a grant expired or was revoked within which the holder files the end-of-term "
        "use report.",
    )
    share_platform_url: str = _setting(
        "",
        "Address of the government data sharing platform (政务数据共享交换平台) where departments "
        "obtain shared data; named to staff and in the sharing catalog. Empty: not named.",
    )

    # -- notifications by e-mail ----------------------------------------------------------------
    smtp_host: str = _setting("", "SMTP server for e-mail notices. Empty means no e-mail is sent.")
    smtp_port: int = _setting(25, "SMTP port.")
    smtp_user: str = _setting("", "SMTP user name (empty: no login).")
    smtp_password: str = _setting("", "SMTP password.", secret=True)
    smtp_starttls: bool = _setting(False, "Whether to upgrade the SMTP connection with STARTTLS.")
    smtp_timeout: float = _setting(10.0, "Seconds to wait for the SMTP server.")
    mail_from: str = _setting("noreply@data.example.gov.cn", "Sender address of e-mail notices.")

    # -- usage figures -----------------------------------------------------------------------
    usage_flush_seconds: float = _setting(
        30.0,
        "Seconds a web process adds up usage hits (views, downloads, API calls) in memory before "
        "adding them to the daily counters in one write; 0 writes on every hit.",
    )

    # -- watching it run (portal.observe) -------------------------------------------------
    log_format: str = _setting(
        "text",
        "Format of the web app's log: text (the embedded server's lines) or json (one JSON object "
        "a line: time, level, logger, message, request id, method, route, status, duration, "
        "client address).",
    )
    metrics_token: str = _setting(
        "",
        "Bearer token that opens /metrics from any address (Authorization: Bearer <token>). "
        "Empty means none.",
        secret=True,
    )
    metrics_allowed: str = _setting(
        "127.0.0.1,::1",
        "Addresses and CIDR networks, separated by commas, that may read /metrics without the "
        "token, when the request reaches the app directly (no X-Forwarded-For, Forwarded or "
        "X-Real-IP header). Empty means none.",
    )

    # -- derived values -------------------------------------------------------------------
    @cached_property
    def legal(self) -> LegalText:
        """The legal text file, read and checked (``ConfigError`` naming the file and key)."""
        from datasets.legal import load_legal_text

        return load_legal_text(Path(self.legal_text) if self.legal_text else None)

    @property
    def region_name(self) -> str:
        """The city the portal serves (``city`` of the legal text)."""
        return self.legal.city

    @property
    def supervisor_name(self) -> str:
        """The supervising bureau named on pages and notices (``supervisor`` of the legal text)."""
        return self.legal.supervisor

    @property
    def public_host(self) -> str:
        """The host name of ``base_url`` (lower case, no port), "" when there is none."""
        return (urlsplit(self.base_url.strip()).hostname or "").rstrip(".")

    @property
    def host_names(self) -> frozenset[str]:
        """The host names a request may name in production mode: that of ``base_url`` and
        ``allowed_hosts``; ``ConfigError`` naming an entry that is no host name or address."""
        names = {self.public_host} if self.public_host else set()
        for entry in re.split(r"[,;\s]+", self.allowed_hosts.strip().lower()):
            if not entry:
                continue
            name = entry.strip("[]").rstrip(".")
            try:
                ipaddress.ip_address(name)
            except ValueError:
                if not _HOST_NAME.fullmatch(name):
                    raise ConfigError(
                        f"{ENV_PREFIX}ALLOWED_HOSTS 中的 {entry!r} 不是主机名或地址"
                    ) from None
            names.add(name)
        return frozenset(names)

    @property
    def instance_path(self) -> Path:
        return Path(self.instance).expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.instance_path / 'kaifang.db'}"

    @property
    def harvest_allowed(self) -> tuple[tuple[str, ...], tuple[IPNetwork, ...]]:
        """``harvest_allowed_networks`` as (host names, networks); ``ConfigError`` naming an
        entry that is neither."""
        hosts: list[str] = []
        networks: list[IPNetwork] = []
        for entry in re.split(r"[,;\s]+", self.harvest_allowed_networks.strip().lower()):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if _NUMERIC.fullmatch(entry) or not _HOST_NAME.fullmatch(entry):
                raise ConfigError(
                    f"setting {ENV_PREFIX}HARVEST_ALLOWED_NETWORKS: {entry!r} is neither a host "
                    "name nor an address or CIDR network"
                )
            hosts.append(entry.rstrip("."))
        return tuple(hosts), tuple(networks)

    @property
    def metrics_networks(self) -> tuple[IPNetwork, ...]:
        """``metrics_allowed`` as networks; ``ConfigError`` naming an entry that is none."""
        return parse_networks("METRICS_ALLOWED", self.metrics_allowed)


def parse_networks(name: str, text: str) -> tuple[IPNetwork, ...]:
    """Addresses or CIDR networks separated by commas or spaces (setting ``name``) as networks;
    ``ConfigError`` naming the setting and an entry that is neither."""
    networks: list[IPNetwork] = []
    for entry in re.split(r"[,;\s]+", text.strip()):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            raise ConfigError(
                f"setting {ENV_PREFIX}{name}: {entry!r} is neither an address nor a CIDR network"
            ) from None
    return tuple(networks)


def setting_fields() -> tuple[dataclasses.Field, ...]:
    """The declared settings, in declaration order."""
    return dataclasses.fields(Settings)


def _convert(name: str, kind: Any, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    try:
        if kind in (bool, "bool"):
            lowered = text.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(text)
        if kind in (int, "int"):
            return int(text.replace("_", ""))
        if kind in (float, "float"):
            return float(text)
    except ValueError:
        expected = {"bool": "true or false", "int": "an integer", "float": "a number"}
        raise ConfigError(
            f"setting {ENV_PREFIX}{name.upper()} must be "
            f"{expected.get(getattr(kind, '__name__', kind), kind)}, got {raw!r}"
        ) from None
    return raw


# settings that moved into the legal text file (config/legal.toml)
RETIRED = ("REGION_NAME", "SUPERVISOR_NAME")


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from defaults, then ``KAIFANG_*`` variables, then ``overrides``."""
    env = os.environ if environ is None else environ
    for retired in RETIRED:  # never silently ignored: the deployment would cite another city
        if ENV_PREFIX + retired in env:
            raise ConfigError(
                f"{ENV_PREFIX}{retired} 已不再使用：城市、监督机构和所引法规写在法规文本文件中"
                f"（{ENV_PREFIX}LEGAL_TEXT 指向的文件，默认 config/legal.toml）"
            )
    known = {f.name: f for f in setting_fields()}
    values: dict[str, Any] = {}
    for name, fld in known.items():
        key = ENV_PREFIX + name.upper()
        if key in env:
            values[name] = _convert(name, fld.type, env[key])
    for name, value in (overrides or {}).items():
        if name not in known:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = _convert(name, known[name].type, value)
    settings = Settings(**values)
    _check(settings)
    return settings


def _check(settings: Settings) -> None:
    for name in (
        "page_size",
        "api_max_rows",
        "api_default_rows",
        "max_file_bytes",
        "table_max_columns",
        "table_max_cell_chars",
        "table_max_line_bytes",
        "table_max_rows",
        "table_max_unpacked_bytes",
        "table_max_memory_bytes",
    ):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"setting {ENV_PREFIX}{name.upper()} must be positive")
    for name in (
        "harvest_timeout",
        "harvest_downloads",
        "harvest_host_downloads",
        "harvest_host_failures",
        "harvest_download_seconds",
        "harvest_job_minutes",
    ):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"setting {ENV_PREFIX}{name.upper()} must be positive")
    for name in (
        "harvest_retries",
        "harvest_workers",
        "withdraw_grace_days",
        "scan_row_limit",
        "validation_row_limit",
    ):
        if getattr(settings, name) < 0:
            raise ConfigError(f"setting {ENV_PREFIX}{name.upper()} may not be negative")
    for fld in setting_fields():
        if fld.name.startswith("days_") and getattr(settings, fld.name) <= 0:
            raise ConfigError(f"setting {ENV_PREFIX}{fld.name.upper()} must be positive")
    for name in (
        "assessment_requesters",
        "rights_objections_per_day",
        "verification_code_minutes",
        "verification_codes_per_hour",
        "verification_attempts",
        "grant_report_months",
        "review_cycle_months",
        "grant_max_months",
        "attachment_max_bytes",
        "grant_final_report_days",
        "sign_in_attempts",
        "sign_in_address_attempts",
        "api_key_attempts",
        "sign_in_lock_minutes",
        "smtp_port",
        "harvest_job_timeout",
        "datastore_sql_timeout_ms",
    ):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"setting {ENV_PREFIX}{name.upper()} must be positive")
    on_postgres = not settings.resolved_database_url.startswith("sqlite")
    if settings.datastore_sql and not settings.datastore_sql_url and on_postgres:
        raise ConfigError(
            f"setting {ENV_PREFIX}DATASTORE_SQL on PostgreSQL needs "
            f"{ENV_PREFIX}DATASTORE_SQL_URL (a role that can read only datastore_public)"
        )
    if settings.harvest_stale_minutes <= 0:
        raise ConfigError(f"setting {ENV_PREFIX}HARVEST_STALE_MINUTES must be positive")
    if settings.usage_flush_seconds < 0:
        raise ConfigError(f"setting {ENV_PREFIX}USAGE_FLUSH_SECONDS may not be negative")
    settings.harvest_allowed  # noqa: B018 — raises ConfigError for an entry it cannot read
    settings.legal  # noqa: B018 — raises ConfigError for a missing or wrong legal text file
    location = r"(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+/"  # no empty, "." or ".." segment
    if settings.accel_redirect and not re.fullmatch(location, settings.accel_redirect):
        raise ConfigError(
            f"setting {ENV_PREFIX}ACCEL_REDIRECT must be a path starting and ending with /, "
            f"e.g. /_kaifang_files/, got {settings.accel_redirect!r}"
        )
    platform = settings.share_platform_url
    if platform and not re.match(r"https?://[^/\s]+", platform):
        raise ConfigError(f"setting {ENV_PREFIX}SHARE_PLATFORM_URL must be an http(s) address")
    _check_public_address(settings)
    if settings.log_format not in ("text", "json"):
        raise ConfigError(f"setting {ENV_PREFIX}LOG_FORMAT must be text or json")
    settings.metrics_networks  # noqa: B018 — raises ConfigError for an entry it cannot read
    if settings.api_default_rows > settings.api_max_rows:
        raise ConfigError(f"{ENV_PREFIX}API_DEFAULT_ROWS may not exceed {ENV_PREFIX}API_MAX_ROWS")


_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _check_public_address(settings: Settings) -> None:
    """KAIFANG_BASE_URL is an http(s) address; production mode requires it (https unless on a
    loopback host: browsers send Secure cookies only there) and readable KAIFANG_ALLOWED_HOSTS."""
    base = settings.base_url.strip()
    if base and not re.fullmatch(r"https?://[^/\s?#@]+(/[^\s?#]*)?", base):
        raise ConfigError(
            f"{ENV_PREFIX}BASE_URL 须为 http:// 或 https:// 开头的地址（例如 "
            f"https://data.example.gov.cn），实际为 {base!r}"
        )
    if not settings.production:
        return
    if not base:
        raise ConfigError(
            f"生产模式（{ENV_PREFIX}PRODUCTION=1）须设置 {ENV_PREFIX}BASE_URL 为平台的公开地址"
            "（例如 https://data.example.gov.cn）：接口答复中的链接和下载地址都由它生成，"
            "请求的 Host 也按它核对"
        )
    if base.startswith("http://") and settings.public_host not in _LOOPBACK:
        raise ConfigError(
            f"生产模式下 {ENV_PREFIX}BASE_URL 须为 https:// 地址（会话 Cookie 只经 HTTPS 发送），"
            f"实际为 {base!r}"
        )
    settings.host_names  # noqa: B018 — raises ConfigError for an entry it cannot read
