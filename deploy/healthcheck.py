"""Container and systemd health probe: GET /healthz on a local daphne, exit 0 only on 200.

Used by the compose healthchecks (the image has no curl) and usable from a shell:

    python deploy/healthcheck.py [PORT]          # default 8000, or $GAMETREE_HEALTH_PORT

Django rejects a Host header outside DJANGO_ALLOWED_HOSTS with 400, so the probe sends the
first allowed host instead of 127.0.0.1. /healthz is exempt from the HTTPS redirect
(SECURE_REDIRECT_EXEMPT), so plain HTTP to the worker is fine. It checks the database and a
round trip through the channel layer, so a worker whose Redis or PostgreSQL is gone reports
unhealthy.
"""

from __future__ import annotations

import http.client
import os
import sys


def probe_host(allowed_hosts: str) -> str:
    """A Host header that Django accepts, from the DJANGO_ALLOWED_HOSTS value."""
    for item in allowed_hosts.split(","):
        host = item.strip()
        if not host:
            continue
        if host == "*":
            return "localhost"
        # ".example.org" allows example.org and its subdomains.
        return host.lstrip(".")
    return "localhost"  # Django's own default when the list is empty and DEBUG is on


def main(argv: list[str]) -> int:
    port = int(argv[1]) if len(argv) > 1 else int(os.environ.get("GAMETREE_HEALTH_PORT", "8000"))
    host = probe_host(os.environ.get("DJANGO_ALLOWED_HOSTS", ""))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz", headers={"Host": host})
        response = connection.getresponse()
        body = response.read(2000).decode("utf-8", "replace")
    except OSError as exc:
        print(f"healthz: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    if response.status != 200:
        print(f"healthz: HTTP {response.status} {body}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
