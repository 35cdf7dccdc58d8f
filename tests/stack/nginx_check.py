"""`nginx -t` of a generated config, for the gateway config tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def assert_nginx_accepts(prefix: Path, error_log: Path) -> None:
    """nginx (Debian's, from ci/bootstrap) parses prefix/nginx.conf and every file it includes."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is not installed: run ci/bootstrap"
    proc = subprocess.run(
        [nginx, "-t", "-p", str(prefix), "-c", "nginx.conf", "-e", str(error_log)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "test is successful" in proc.stderr
