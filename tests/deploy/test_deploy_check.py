"""Deploy files: `check --deploy` is clean with production settings, the compose file, nginx
and systemd units are consistent and valid, env.example lists every setting read from the
environment. nginx -t and systemd-analyze run only where those programs are installed."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ENV_READERS = {"env_str", "env_bool", "env_int", "env_list"}
# Read by compose only (the db service's password), not by the settings.
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a production process: nothing inherited from the test settings."""
    names = settings_env_names()
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        DJANGO_SETTINGS_MODULE="gametree.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="example.org",
    )
    env.update(extra)
    return env


def settings_env_names() -> set[str]:
    """Every NAME in env_str("NAME"...)/env_bool/env_int/env_list and os.environ in settings."""
    tree = ast.parse((ROOT / "gametree" / "settings.py").read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        is_environ_get = (
            isinstance(func, ast.Attribute)
            and called in {"get", "getenv"}
            and "environ" in ast.unparse(func.value) + called
        )
        first = node.args[0]
        if (called in ENV_READERS or is_environ_get) and isinstance(first, ast.Constant):
            names.add(str(first.value))
    return names


def env_example_names() -> set[str]:
    names = set()
    for line in (DEPLOY / "env.example").read_text().splitlines():
        # "NAME=value", or "#NAME=value" for an optional variable left unset.
        match = re.match(r"^#?([A-Z][A-Z0-9_]*)=", line)
        if match:
            names.add(match.group(1))
    return names


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def daphne_services(compose: dict[str, Any]) -> list[str]:
    return sorted(
        name
        for name, service in compose["services"].items()
        if "daphne" in " ".join(map(str, service.get("command") or []))
    )


# --- check --deploy ------------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output and "(security." not in output, output


def test_check_deploy_flags_debug_so_the_check_is_real() -> None:
    # The same command must fail when the production defaults are switched off.
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(DJANGO_DEBUG="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr  # DEBUG on in deployment


# --- environment -----------------------------------------------------------------------------


def test_settings_env_parser_finds_the_known_variables() -> None:
    names = settings_env_names()
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG"} <= names


def test_env_example_lists_every_variable_the_settings_read() -> None:
    missing = settings_env_names() - env_example_names()
    assert not missing, f"add to deploy/env.example: {sorted(missing)}"


def test_env_example_lists_nothing_the_settings_do_not_read() -> None:
    stale = env_example_names() - settings_env_names() - COMPOSE_ONLY
    assert not stale, f"deploy/env.example names variables nothing reads: {sorted(stale)}"


# --- compose ---------------------------------------------------------------------------------


def test_compose_has_postgres_redis_nginx_and_two_daphne_workers() -> None:
    compose = load_compose()
    services = compose["services"]
    images = {name: str(service.get("image", "")) for name, service in services.items()}
    assert any(image.startswith("postgres:16") for image in images.values()), images
    assert any(image.startswith("redis:7") for image in images.values()), images
    assert any(image.startswith("nginx:") for image in images.values()), images
    workers = daphne_services(compose)
    assert len(workers) >= 2, workers
    assert 'request("GET", "/healthz"' in (DEPLOY / "healthcheck.py").read_text()
    for name in workers:
        worker = services[name]
        assert "deploy/healthcheck.py" in " ".join(worker["healthcheck"]["test"])
        assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert worker["environment"]["REDIS_URL"].startswith("redis://")
        assert worker["environment"]["DATABASE_URL"].startswith("postgres://")
    migrate = services["migrate"]
    assert migrate_commands(migrate["command"])[0] == ["migrate", "--noinput"]
    assert migrate["restart"] == "no"


def migrate_commands(command: list[str]) -> list[list[str]]:
    """The `manage.py` commands (name and arguments) of the compose migrate service, in order."""
    assert command[:2] == ["sh", "-c"] and len(command) == 3, command
    steps = [step.split() for step in command[2].split("&&")]
    assert all(step[:2] == ["python", "manage.py"] for step in steps), steps
    return [step[2:] for step in steps]


def make_migrate_commands() -> list[str]:
    """The manage.py commands `make migrate` runs, in order."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^migrate:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe is not None
    return re.findall(r"manage\.py (\w+)", recipe.group(1))


def test_compose_migrate_runs_what_make_migrate_runs_in_the_same_order() -> None:
    steps = migrate_commands(load_compose()["services"]["migrate"]["command"])
    assert [step[0] for step in steps] == make_migrate_commands() == ["migrate", "discardmerges"]


def test_compose_migrate_command_migrates_then_discards_hidden_merges(tmp_path: Path) -> None:
    # The service's own shell line, with `python` this interpreter, on a fresh SQLite file.
    command = load_compose()["services"]["migrate"]["command"]
    shim = tmp_path / "bin"
    shim.mkdir()
    python = shim / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    env = production_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PATH=f"{shim}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Applying trees.0001_initial... OK" in output, output
    assert "deleted 0 hidden merged trees" in output, output


def test_static_volume_is_shared_by_collectstatic_and_nginx() -> None:
    services = load_compose()["services"]
    collect = [v for v in services["collectstatic"]["volumes"] if v.startswith("static:")]
    served = [v for v in services["nginx"]["volumes"] if v.startswith("static:")]
    assert collect == ["static:/app/staticfiles"]
    assert served and served[0].endswith(":ro")
    static_dir = served[0].split(":")[1]
    assert f"alias {static_dir}/;" in (DEPLOY / "nginx.conf").read_text()


def test_nginx_upstream_names_exactly_the_daphne_workers() -> None:
    conf = (DEPLOY / "nginx.conf").read_text()
    upstream = re.search(r"upstream gametree_workers \{(.*?)\}", conf, re.S)
    assert upstream is not None
    servers = sorted(re.findall(r"^\s*server (\w+):8000\b", upstream.group(1), re.M))
    assert servers == daphne_services(load_compose())
    # Trees pinned to workers by id (docs/scaling.md: spread writers cost 6x).
    assert "hash $gametree_tree consistent;" in upstream.group(1)


def test_both_nginx_variants_pin_trees_by_the_id_in_the_path() -> None:
    for path in ("nginx.conf", "systemd/gametree-nginx.conf"):
        conf = (DEPLOY / path).read_text()
        assert "hash $gametree_tree consistent;" in conf, path
        mapping = re.search(r"map \$uri \$gametree_tree \{(.*?)\}", conf, re.S)
        assert mapping is not None, path
        pattern = re.search(r"~(\S+) \$tree_id;", mapping.group(1))
        assert pattern is not None, path
        python_pattern = pattern.group(1).replace("(?<", "(?P<")  # PCRE's named group
        for uri in ("/ws/trees/42/", "/api/trees/42/ops/"):
            found = re.match(python_pattern, uri)
            assert found is not None and found.group("tree_id") == "42", (path, uri)


@pytest.mark.parametrize("path", ["nginx.conf", "systemd/gametree-nginx.conf"])
def test_nginx_proxies_websockets_with_upgrade_and_long_timeouts(path: str) -> None:
    conf = (DEPLOY / path).read_text()
    ws = re.search(r"location /ws/ \{(.*?)\}", conf, re.S)
    assert ws is not None
    block = ws.group(1)
    assert "proxy_set_header Upgrade $http_upgrade;" in block
    assert "proxy_set_header Connection $connection_upgrade;" in block
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in block
    timeout = re.search(r"proxy_read_timeout (\d+)([smh]);", block)
    assert timeout is not None
    seconds = int(timeout.group(1)) * {"s": 1, "m": 60, "h": 3600}[timeout.group(2)]
    assert seconds >= 600
    # HSTS belongs to Django (DJANGO_HSTS_SECONDS), never to nginx.
    assert "Strict-Transport-Security" not in re.sub(r"#.*", "", conf)


def test_dockerfile_builds_frontend_and_runs_unprivileged() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM node:20\S* AS frontend$", text, re.M)
    assert "npm ci" in text and "npm run build" in text
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert "pip install -c constraints.txt ." in text
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and not users[-1].startswith(("root", "0"))
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.M):
        for item in source.split():
            assert (ROOT / item).exists(), f"Dockerfile copies a missing path: {item}"


# --- healthcheck probe ------------------------------------------------------------------


def _healthcheck_module() -> Any:
    spec = importlib.util.spec_from_file_location("gametree_healthcheck", DEPLOY / "healthcheck.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        ("example.org,www.example.org", "example.org"),
        (" .example.org", "example.org"),
        ("*", "localhost"),
        ("", "localhost"),
    ],
)
def test_healthcheck_sends_an_allowed_host(allowed: str, host: str) -> None:
    assert _healthcheck_module().probe_host(allowed) == host


def test_healthcheck_fails_when_nothing_listens() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert _healthcheck_module().main(["healthcheck.py", str(port)]) == 1


# --- nginx -t and systemd-analyze, where installed ------------------------------------------


def _nginx_version() -> tuple[int, ...]:
    out = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr
    match = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out)
    assert match, out
    return tuple(int(part) for part in match.groups())


def _self_signed(directory: Path) -> tuple[Path, Path]:
    import datetime

    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gametree.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
@pytest.mark.parametrize("path", ["nginx.conf", "systemd/gametree-nginx.conf"])
def test_nginx_config_passes_nginx_t_with_tls_enabled(path: str, tmp_path: Path) -> None:
    """nginx -t on the site with its TLS lines uncommented and a throwaway certificate.

    Adjusted for a test outside the container: compose service names become 127.0.0.1 (no
    Docker DNS here), and directives newer than the local nginx are dropped (`resolve` in
    upstream servers needs 1.27.3, `http2 on` 1.25.1; the compose image is nginx 1.28)."""
    cert, key = _self_signed(tmp_path)
    site = (DEPLOY / path).read_text()
    site = re.sub(r"^(\s*)# ((?:listen \S+ ssl|ssl_|http2 on).*)$", r"\1\2", site, flags=re.M)
    site = re.sub(r"\bweb\d+:8000", "127.0.0.1:8000", site)
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", site)
    assert "listen 443 ssl" in site and str(cert) in site
    version = _nginx_version()
    if version < (1, 27, 3):
        site = site.replace(" resolve ", " ")
    if version < (1, 25, 1):
        site = re.sub(r"^\s*http2 on;.*$", "", site, flags=re.M)
    (tmp_path / "site.conf").write_text(site)
    temp = tmp_path / "temp"
    temp.mkdir()
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {temp};\n"
        f"  proxy_temp_path {temp};\n  fastcgi_temp_path {temp};\n  uwsgi_temp_path {temp};\n"
        f"  scgi_temp_path {temp};\n  include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-c", str(main), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "[warn]" not in result.stderr, result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_units_verify(tmp_path: Path) -> None:
    """systemd-analyze verify on gametree@8001.service and gametree.target. The daphne path
    is pointed at this virtualenv's daphne, the one thing the machine cannot provide."""
    daphne = Path(sys.executable).parent / "daphne"
    if not daphne.exists():
        pytest.skip("no daphne next to this Python")
    unit = (DEPLOY / "systemd" / "gametree@.service").read_text()
    assert "/srv/gametree/venv/bin/daphne" in unit
    (tmp_path / "gametree@.service").write_text(
        unit.replace("/srv/gametree/venv/bin/daphne", str(daphne))
    )
    shutil.copy(DEPLOY / "systemd" / "gametree.target", tmp_path / "gametree.target")
    (tmp_path / "gametree@8001.service").symlink_to(tmp_path / "gametree@.service")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "gametree@8001.service", "gametree.target"],
        cwd=tmp_path,
        env={**os.environ, "SYSTEMD_UNIT_PATH": f"{tmp_path}:"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_systemd_unit_is_templated_hardened_and_restarts() -> None:
    unit = (DEPLOY / "systemd" / "gametree@.service").read_text()
    for line in [
        "--port %i",
        "EnvironmentFile=/etc/gametree/gametree.env",
        "Restart=always",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "User=gametree",
    ]:
        assert line in unit, line
    site = (DEPLOY / "systemd" / "gametree-nginx.conf").read_text()
    ports = re.findall(r"server 127\.0\.0\.1:(\d+)", site)
    assert len(ports) >= 2 and len(set(ports)) == len(ports)
