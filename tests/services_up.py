"""Exit 0 when the PostgreSQL and Redis given on the command line answer, 1 otherwise.

Used by `make test` to decide whether the integration pass can run on this machine.
"""

from __future__ import annotations

import socket
import sys
from urllib.parse import urlparse


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def main(argv: list[str]) -> int:
    pg_url, redis_url = argv[1], argv[2]
    ok = reachable(pg_url, 5432) and reachable(redis_url, 6379)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
