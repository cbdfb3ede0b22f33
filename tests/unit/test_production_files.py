"""The files of the production walk (README, "Running in production") against the product: the
settings file's names are settings and give production mode what it needs, each systemd unit runs
a command that exists, the nginx files make a configuration nginx accepts, and the README's walk
names them all and agrees with them."""

from __future__ import annotations

import ast
import importlib.util
import re
import shlex
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPConnection, HTTPSConnection
from pathlib import Path
from urllib.parse import urlsplit

import click
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from datasets.errors import ConfigError
from datasets.settings import ENV_PREFIX, load_settings, setting_fields
from portal.cli import main
from portal.proxies import parse_address, trusted_networks
from tests.factories import serving
from tests.nginx import fill, free_port, nginx_binary

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
ENV_EXAMPLE = CONFIG / "kaifang.env.example"
UNITS = CONFIG / "systemd"
SITE = CONFIG / "nginx-static.conf.template"
TLS = CONFIG / "nginx-tls.conf.template"
README = ROOT / "README.md"

APP = "/srv/kaifang-app"  # where the walk installs the portal, as the units name it
ENV_FILE = "/etc/kaifang/kaifang.env"
KAIFANG = f"{APP}/.venv/bin/kaifang"
GUNICORN = f"{APP}/.venv/bin/gunicorn"
USER = "kaifang"

# what the production stack cannot do without, each for its reason (the README's table)
NEEDED = (
    "PRODUCTION",  # https base URL, __Host- Secure cookie, the Host check
    "BASE_URL",
    "DATABASE_URL",  # PostgreSQL, not SQLite in the instance folder
    "RATELIMIT_STORAGE_URI",  # one count for every worker
    "REDIS_URL",  # the harvest queue
    "TRUSTED_PROXIES",  # behind nginx, or every client counts as nginx
    "INSTANCE",
    "STATIC_DIR",
    "ACCEL_REDIRECT",  # nginx sends the files
    "SECRET_KEY",  # named, empty: the instance's key files
    "MASKING_KEY",
)
_LINE = re.compile(r"(?P<key>[A-Z_][A-Z0-9_]*)=(?P<value>[^\s'\"\\$`#;&|<>()]*)")


# -- reading the files -----------------------------------------------------------------------------


def env_values(text: str) -> dict[str, str]:
    """The ``KEY=value`` lines of an environment file as systemd reads them; every line that is
    neither blank nor a comment must be one that ``sh`` reads the same (no quotes, spaces,
    expansions or trailing comments)."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.fullmatch(line)
        assert match, f"line {number} is not a plain KEY=value line: {line!r}"
        assert match["key"] not in values, f"line {number}: {match['key']} given twice"
        values[match["key"]] = match["value"]
    return values


def example() -> dict[str, str]:
    return env_values(ENV_EXAMPLE.read_text(encoding="utf-8"))


def unit_entries(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) of a unit file, in order, repeated keys kept (``ExecStart``)."""
    entries = []
    section = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        assert not stripped.endswith("\\"), f"{path.name}: no continued lines, please"
        if stripped.startswith("["):
            section = stripped.strip("[]")
            continue
        key, sep, value = stripped.partition("=")
        assert sep, f"{path.name}: not a key=value line: {line!r}"
        entries.append((section, key.strip(), value.strip()))
    return entries


def values_of(path: Path, key: str, section: str | None = None) -> list[str]:
    return [v for s, k, v in unit_entries(path) if k == key and section in (None, s)]


def services() -> list[Path]:
    return sorted(UNITS.glob("*.service"))


def timers() -> list[Path]:
    return sorted(UNITS.glob("*.timer"))


def exec_lines() -> list[tuple[Path, list[str]]]:
    return [
        (unit, shlex.split(line)) for unit in services() for line in values_of(unit, "ExecStart")
    ]


def production_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Running in production\n")
    return text[start : text.index("\n## ", start + 1)]


def section_lines() -> list[list[str]]:
    """The command lines of the section's ``sh`` blocks (continued lines joined, comments
    dropped), split as a shell does."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", production_section(), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                lines.append(words)
    return lines


def section_commands(program: str) -> list[list[str]]:
    """The section's command lines that run ``program``."""
    return [words for words in section_lines() if words[0] == program]


def assignment(name: str) -> str:
    """The value the section's ``sh`` blocks give ``NAME=`` (as in ``STATIC_ROOT=… envsubst``)."""
    found = {w.split("=", 1)[1] for ws in section_lines() for w in ws if w.startswith(name + "=")}
    assert len(found) == 1, f"the walk gives {name} {sorted(found) or 'no value'}"
    return found.pop()


# -- the command line ------------------------------------------------------------------------------


def check_kaifang(args: list[str]) -> None:
    """``kaifang ARGS`` names a command that exists (its ``--help`` answers) and gives it options
    and arguments it takes (parsed by that command, not run)."""
    words = list(args)
    command: click.Command = main
    path: list[str] = []
    context = click.Context(main, info_name="kaifang")
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        name = words.pop(0)
        found = command.get_command(context, name)
        assert found is not None, f"kaifang has no command {' '.join([*path, name])!r}"
        command, path = found, [*path, name]
    assert path, f"kaifang {' '.join(args)}: no command named"
    helped = CliRunner().invoke(main, [*path, "--help"])
    assert helped.exit_code == 0, helped.output
    try:
        command.make_context(" ".join(path), words)
    except click.UsageError as exc:
        pytest.fail(f"kaifang {' '.join(args)}: {exc.format_message()}")


def gunicorn_args() -> list[str]:
    """gunicorn's arguments as the docstring of ``portal.gunicorn_conf`` gives them."""
    spec = importlib.util.find_spec("portal.gunicorn_conf")
    assert spec is not None and spec.origin
    doc = ast.get_docstring(ast.parse(Path(spec.origin).read_text(encoding="utf-8"))) or ""
    line = re.search(r"^\s*gunicorn (-.*)$", doc.replace("\\\n", " "), re.M)
    assert line, "no gunicorn command in portal/gunicorn_conf.py"
    return shlex.split(line.group(1))


# -- the settings file -----------------------------------------------------------------------------


def test_the_settings_file_reads_the_same_in_systemd_and_in_sh(tmp_path):
    values = example()
    probe = tmp_path / "env.sh"
    probe.write_text(ENV_EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    script = 'set -a && . "$1" && set +a && exec env -0'
    done = subprocess.run(
        ["sh", "-c", script, "sh", str(probe)], capture_output=True, check=True, env={}
    )
    seen = dict(item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)
    assert {k: seen.get(k) for k in values} == values


def test_every_kaifang_name_in_the_settings_file_is_a_setting():
    known = {ENV_PREFIX + f.name.upper() for f in setting_fields()}
    named = set(re.findall(r"\bKAIFANG_[A-Z0-9_]+", ENV_EXAMPLE.read_text(encoding="utf-8")))
    assert named - known == set()
    assert set(example()) - known == set()  # and nothing else is set there


def test_the_settings_file_gives_production_mode_what_it_needs():
    values = example()
    assert [n for n in NEEDED if ENV_PREFIX + n not in values] == []
    settings = load_settings(environ=values)  # the portal's own checks, production's among them
    assert settings.production and settings.base_url.startswith("https://")
    assert make_url(settings.database_url).get_backend_name() == "postgresql"
    assert settings.ratelimit_storage_uri.startswith("redis://")
    assert settings.redis_url.startswith("redis://")
    assert settings.redis_url != settings.ratelimit_storage_uri  # a database of its own
    assert Path(settings.instance).is_absolute() and Path(settings.static_dir).is_absolute()
    # nginx's internal location of the files is the one the template maps
    assert f"location {settings.accel_redirect} {{" in SITE.read_text(encoding="utf-8")
    # no secret ships: the keys are empty (the instance's key files), no URL holds a password
    secrets = [f.name for f in setting_fields() if f.metadata["secret"]]
    given = {name: getattr(settings, name) for name in secrets if getattr(settings, name)}
    assert [name for name, value in given.items() if not value.startswith("redis://")] == []
    assert [name for name, value in given.items() if urlsplit(value).password] == []
    assert settings.secret_key == settings.masking_key == ""


def test_production_mode_refuses_the_file_without_an_https_base_url():
    values = example()
    with pytest.raises(ConfigError, match="https://"):
        load_settings(environ={**values, "KAIFANG_BASE_URL": "http://data.example.gov.cn"})
    with pytest.raises(ConfigError, match="KAIFANG_BASE_URL"):
        load_settings(environ={k: v for k, v in values.items() if k != "KAIFANG_BASE_URL"})


def test_the_walk_fills_nginx_in_with_the_settings_files_folders():
    settings = load_settings(environ=example())
    assert assignment("STATIC_ROOT") == f"{settings.static_dir}/current"
    assert assignment("FILES_DIR") == f"{settings.instance}/files"
    upstream = assignment("APP_UPSTREAM")
    assert f"-b {upstream} " in " ".join(gunicorn_args()) + " "
    # gunicorn's peer is nginx on this machine: a trusted proxy, so each client counts for itself
    peer = parse_address(upstream.rpartition(":")[0])
    assert peer is not None
    assert any(peer in network for network in trusted_networks(settings.trusted_proxies))
    assert urlhost(settings.base_url) == assignment("SERVER_NAME")


def urlhost(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]


# -- the systemd units -----------------------------------------------------------------------------


def test_every_service_runs_as_the_portal_user_with_the_settings_file():
    assert services() and timers()
    for unit in services():
        assert values_of(unit, "User", "Service") == [USER], unit.name
        assert values_of(unit, "EnvironmentFile", "Service") == [ENV_FILE], unit.name
        assert values_of(unit, "ExecStart", "Service"), unit.name
        # PROMETHEUS_MULTIPROC_DIR only for gunicorn: a command's app would count in its files
        multiproc = any(
            v.startswith("PROMETHEUS_MULTIPROC_DIR=") for v in values_of(unit, "Environment")
        )
        assert multiproc == (unit.name == "kaifang-web.service"), unit.name
    assert "PROMETHEUS_MULTIPROC_DIR" not in ENV_EXAMPLE.read_text(encoding="utf-8")


def test_every_timer_starts_a_oneshot_service_of_its_name():
    calendar = shutil.which("systemd-analyze")
    for timer in timers():
        service = timer.with_suffix(".service")
        assert service.exists(), f"{timer.name} has no {service.name}"
        assert values_of(service, "Type", "Service") == ["oneshot"], service.name
        assert values_of(service, "WantedBy", "Install") == [], f"{service.name}: by its timer"
        specs = values_of(timer, "OnCalendar", "Timer")
        assert specs, timer.name
        assert values_of(timer, "WantedBy", "Install") == ["timers.target"], timer.name
        for spec in specs if calendar else []:
            done = subprocess.run([calendar, "calendar", spec], capture_output=True, text=True)
            assert done.returncode == 0, f"{timer.name}: {spec!r}: {done.stderr}"


def test_each_kaifang_command_of_the_units_exists():
    commands = [args for _, args in exec_lines() if args[0] == KAIFANG]
    assert len(commands) >= 6  # worker, harvest, two builds, sweep, backup
    for args in commands:
        check_kaifang(args[1:])
    # the console script the units call is the one this package installs
    assert (Path(sys.executable).parent / "kaifang").exists()


def test_the_web_unit_runs_gunicorn_as_the_readme_and_gunicorn_conf_say():
    from gunicorn.config import Config

    (args,) = [a for _, a in exec_lines() if a[0] == GUNICORN]
    assert args[1:] == gunicorn_args()
    parsed = Config().parser().parse_args(args[1:])
    assert parsed.config == "python:portal.gunicorn_conf" and parsed.preload_app
    assert importlib.util.find_spec("portal.gunicorn_conf") is not None
    module, _, name = parsed.args[0].partition(":")
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    assigned = {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets}
    assert name in assigned, f"{module} assigns no {name}"
    assert (Path(sys.executable).parent / "gunicorn").exists()
    assert " ".join(args[1:]) in production_section()  # the README's table of units


def test_other_programs_of_the_units_are_named_by_their_full_path():
    for unit, args in exec_lines():
        if args[0] in (KAIFANG, GUNICORN):
            continue
        assert Path(args[0]).is_absolute(), unit.name
        assert Path(args[0]).exists(), f"{unit.name}: {args[0]} missing on Debian"


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    venv = str(Path(sys.executable).parent)  # the programs exist where the test runs
    for unit in UNITS.iterdir():
        text = unit.read_text(encoding="utf-8").replace(f"{APP}/.venv/bin", venv)
        name = unit.name.replace("@.", "@1.")  # a template is verified as an instance
        (tmp_path / name).write_text(text, encoding="utf-8")
    names = sorted(p.name for p in tmp_path.iterdir())
    done = subprocess.run(
        [analyze, "verify", "--man=no", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    complaints = [line for line in done.stderr.splitlines() if "kaifang-" in line]
    assert done.returncode == 0 and complaints == [], done.stderr


# -- nginx -----------------------------------------------------------------------------------------


def fill_tls(values: dict[str, str]) -> str:
    text = TLS.read_text(encoding="utf-8")
    placeholders = set(re.findall(r"\$\{([A-Z_]+)\}", text))
    assert placeholders == {"SERVER_NAME", "CERTIFICATE", "CERTIFICATE_KEY"}
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    return text


def certificate(folder: Path, host: str) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    command += ["-keyout", str(key), "-out", str(cert), "-subj", f"/CN={host}"]
    subprocess.run(
        [*command, "-addext", f"subjectAltName=DNS:{host}"], check=True, capture_output=True
    )
    return cert, key


def debian_like_conf(folder: Path, includes: list[Path]) -> Path:
    """An nginx.conf as Debian's after the walk's ``sed`` (its http context sets ssl_protocols,
    ssl_prefer_server_ciphers and the rest), including ``includes``, writing only into
    ``folder``."""
    temps = "".join(
        f"    {kind}_temp_path {folder / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    http = (
        "    sendfile on;\n    tcp_nopush on;\n    types_hash_max_size 2048;\n"
        "    default_type application/octet-stream;\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_prefer_server_ciphers on;\n"
        f"    access_log off;\n    gzip on;\n{temps}"
        + "".join(f"    include {path};\n" for path in includes)
    )
    conf = folder / "nginx.conf"
    conf.write_text(
        f"pid {folder / 'nginx.pid'};\nerror_log stderr;\n"
        f"events {{ worker_connections 64; }}\nhttp {{\n{http}}}\n",
        encoding="utf-8",
    )
    return conf


@contextmanager
def answering() -> Iterator[str]:
    """A stand-in for gunicorn: answers every request 200 with its Host header."""

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ.get("HTTP_HOST", "").encode()]

    with serving(app) as base:
        yield base.removeprefix("http://")


def test_https_by_the_two_templates_as_the_walk_fills_them(tmp_path):
    host = "data.example.gov.cn"
    cert, key = certificate(tmp_path, host)
    site, tls = tmp_path / "kaifang.conf", tmp_path / "kaifang-tls.conf"
    folders = {"STATIC_ROOT": str(tmp_path / "static" / "current"), "FILES_DIR": str(tmp_path)}
    tls_values = {"SERVER_NAME": host, "CERTIFICATE": str(cert), "CERTIFICATE_KEY": str(key)}
    binary = nginx_binary()
    # as the walk writes them, on the ports it names: a configuration nginx accepts
    site.write_text(
        fill(
            SITE.read_text(encoding="utf-8"),
            {"LISTEN": assignment("LISTEN"), **folders, "APP_UPSTREAM": assignment("APP_UPSTREAM")},
        ),
        encoding="utf-8",
    )
    tls.write_text(fill_tls(tls_values), encoding="utf-8")
    conf = debian_like_conf(tmp_path, [site, tls])
    tested = subprocess.run(
        [binary, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True
    )
    assert tested.returncode == 0, tested.stderr
    # nor a warning: a second ssl_protocols, say, would add TLS versions with one
    assert [line for line in tested.stderr.splitlines() if "[" in line] == [], tested.stderr
    # and running, on free ports: the redirect, and TLS with the certificate given outside
    secure, plain = free_port(), free_port()
    with answering() as upstream:
        values = {"LISTEN": f"127.0.0.1:{secure} ssl", "APP_UPSTREAM": upstream, **folders}
        site.write_text(fill(SITE.read_text(encoding="utf-8"), values), encoding="utf-8")
        redirect = fill_tls(tls_values).replace(
            "listen 80 default_server;", f"listen 127.0.0.1:{plain} default_server;"
        )
        tls.write_text(redirect.replace("listen [::]:80 default_server;", ""), encoding="utf-8")
        process = subprocess.Popen(
            [binary, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_for_ports(process, secure, plain)
            moved = get(HTTPConnection("127.0.0.1", plain, timeout=10), "/dataset/x?y=1", host)
            assert moved[0] == 301 and moved[1] == f"https://{host}/dataset/x?y=1"
            # the certificate given in the http context, verified against itself as the CA
            context = ssl.create_default_context(cafile=str(cert))
            context.check_hostname = False  # connected to 127.0.0.1, not to the name
            connection = HTTPSConnection("127.0.0.1", secure, timeout=10, context=context)
            status, _, body = get(connection, "/healthz", host)
            assert status == 200 and body == host  # passed on with the Host the client sent
        finally:
            process.terminate()
            process.wait(10)


def get(connection: HTTPConnection, path: str, host: str) -> tuple[int, str, str]:
    try:
        connection.request("GET", path, headers={"Host": host})
        answer = connection.getresponse()
        return answer.status, answer.getheader("Location") or "", answer.read().decode()
    finally:
        connection.close()


def wait_for_ports(process: subprocess.Popen[bytes], *ports: int) -> None:
    import socket
    import time

    deadline = time.monotonic() + 30
    for port in ports:
        while True:
            if process.poll() is not None:
                pytest.fail(f"nginx did not start: {process.stderr.read().decode()}")  # type: ignore[union-attr]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not listen within 30 s"
                time.sleep(0.05)


# -- the README's walk -----------------------------------------------------------------------------


def test_the_readme_walk_names_the_shipped_files():
    section = production_section()
    named = ["config/kaifang.env.example", "config/systemd/", TLS.name, SITE.name, ENV_FILE]
    named += [unit.name for unit in sorted(UNITS.iterdir())]
    assert [name for name in named if name not in section] == []
    # what it enables exists, and every unit that is not started by a timer is enabled
    enabled = [w for c in section_commands("systemctl") if "enable" in c for w in c[3:]]
    files = {unit.name for unit in UNITS.iterdir()}
    assert [u for u in enabled if re.sub(r"@[^.]+\.", "@.", u) not in files] == []
    started = {re.sub(r"@[^.]+\.", "@.", u) for u in enabled}
    by_timer = {t.with_suffix(".service").name for t in timers()}
    assert files - started - by_timer == set()
    # the settings file goes where the units read it
    (install,) = [c for c in section_commands("install") if "config/kaifang.env.example" in c[-2]]
    assert install[-1] == ENV_FILE and install[-2] == f"{APP}/config/kaifang.env.example"


def test_the_kaifang_commands_of_the_walk_exist():
    commands = section_commands("kf")
    assert len(commands) >= 7
    for words in commands:
        check_kaifang([w.replace("ARCHIVE", "archive.tar") for w in words[1:]])
    # the helper runs the venv's kaifang as the portal's user with the settings file
    (helper,) = [line for line in production_section().splitlines() if line.startswith("kf() {")]
    assert f"runuser -u {USER} --" in helper and f". {ENV_FILE}" in helper and KAIFANG in helper


def test_every_kaifang_name_of_the_section_is_a_setting():
    known = {ENV_PREFIX + f.name.upper() for f in setting_fields()}
    named = set(re.findall(r"\bKAIFANG_[A-Z0-9_]*[A-Z0-9]", production_section()))
    assert named - known == set()
