"""Health probe for the stack scripts: exit 0 when GET <url> answers 2xx within two seconds.

``--post <url>`` sends an empty POST instead (Prometheus's /-/reload).

Used instead of curl, which a fresh machine may not have; the venv's Python always is there.
"""

import sys
import urllib.error
import urllib.request


def main(url: str, method: str = "GET") -> int:
    request = urllib.request.Request(url, data=b"" if method == "POST" else None, method=method)  # noqa: S310 (loopback URLs only)
    try:
        with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 (loopback URLs only)
            return 0 if 200 <= response.status < 300 else 1
    except (urllib.error.URLError, OSError, ValueError):
        return 1


if __name__ == "__main__":
    if sys.argv[1] == "--post":
        sys.exit(main(sys.argv[2], "POST"))
    sys.exit(main(sys.argv[1]))
