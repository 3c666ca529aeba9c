"""The nginx configuration in deploy/: accepted by `nginx -t`, and shaped for stateless web hosts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

NGINX_CONF = Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf"
TUS_LOCATION = "/api/upload/resumable_upload"
CERTIFICATE_FOLDER = "/etc/ssl/nebula/"


def test_upstream_lists_several_web_hosts() -> None:
    upstream = _block(NGINX_CONF.read_text(), "upstream nebula_web")

    servers = re.findall(r"^\s*server\s+\S+", upstream, flags=re.MULTILINE)

    assert len(servers) >= 2


def test_upstream_has_no_session_affinity() -> None:
    upstream = _block(NGINX_CONF.read_text(), "upstream nebula_web")

    directives = {line.split()[0] for line in _directive_lines(upstream)}

    assert not directives & {"ip_hash", "hash", "sticky", "least_conn"}


def test_tus_location_streams_request_bodies() -> None:
    location = _block(NGINX_CONF.read_text(), f"location {TUS_LOCATION}")

    lines = _directive_lines(location)

    assert "proxy_request_buffering off;" in lines
    assert "client_max_body_size 0;" in lines
    assert "proxy_pass http://nebula_web;" in lines


def test_proxy_headers_are_forwarded() -> None:
    lines = _directive_lines(NGINX_CONF.read_text())

    for header in ("Host", "X-Forwarded-For", "X-Forwarded-Proto"):
        assert any(line.startswith(f"proxy_set_header {header} ") for line in lines), header
    assert any(
        line.startswith("client_max_body_size ") and line != "client_max_body_size 0;"
        for line in lines
    )


def test_nginx_accepts_config(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None
    )
    if nginx is None:
        _skip(
            "nginx is not installed, so deploy/nginx.conf was not checked with `nginx -t`; "
            "scripts/test.sh installs it when run as root on Debian or Ubuntu"
        )
    openssl = shutil.which("openssl")
    if openssl is None:
        _skip("openssl is not installed, so no test certificate could be made for `nginx -t`")
    certificates = tmp_path / "certificates"
    certificates.mkdir()
    _self_signed_certificate(openssl, certificates)
    site = tmp_path / "nebula.conf"
    site.write_text(NGINX_CONF.read_text().replace(CERTIFICATE_FOLDER, f"{certificates}/"))
    main = _main_context(tmp_path, site)

    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(main)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def _main_context(folder: Path, site: Path) -> Path:
    """Write a minimal nginx.conf that includes `site`, with every path inside `folder`."""
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / name).mkdir()
    main = folder / "nginx.conf"
    main.write_text(
        f"pid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log;\n"
        "events {}\n"
        "http {\n"
        f"    access_log {folder}/access.log;\n"
        f"    client_body_temp_path {folder}/client_body;\n"
        f"    proxy_temp_path {folder}/proxy;\n"
        f"    fastcgi_temp_path {folder}/fastcgi;\n"
        f"    uwsgi_temp_path {folder}/uwsgi;\n"
        f"    scgi_temp_path {folder}/scgi;\n"
        f"    include {site};\n"
        "}\n"
    )
    return main


def _self_signed_certificate(openssl: str, folder: Path) -> None:
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=nebula.example.org",
            "-keyout",
            str(folder / "privkey.pem"),
            "-out",
            str(folder / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _block(text: str, opening: str) -> str:
    """Return the body of the `opening { ... }` block, matching nested braces."""
    start = text.index(opening + " {") + len(opening) + 2
    depth = 1
    for position in range(start, len(text)):
        if text[position] == "{":
            depth += 1
        elif text[position] == "}":
            depth -= 1
            if depth == 0:
                return text[start:position]
    raise AssertionError(f"block {opening!r} is not closed in {NGINX_CONF}")


def _directive_lines(text: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [" ".join(line.split()) for line in lines if line]


def _skip(reason: str) -> NoReturn:
    # In CI a skip is easy to miss among passes, so the reason also goes to the log.
    if os.environ.get("CI"):
        print(f"test_deploy_config: {reason}", file=sys.stderr)
    pytest.skip(reason)
