"""Fixtures of the chart tests; the machinery (helm lookup, renders) is in chartlib.py."""

from __future__ import annotations

import os
import sys

import pytest
from chartlib import CASES, ROOT, render_case

# ../shared (data kept beside the checkout) may be read only by ci/upstream_charts.py, as the
# fallback for the pinned charts' values.yaml and CRDs; everything else a test checks must be in
# this repository, so a clone on its own knows what it tests.
OUTSIDE_DATA = os.path.realpath(ROOT.parent / "shared") + os.sep
UPSTREAM_READER = str(ROOT / "ci" / "upstream_charts.py")


def _read_by_upstream_reader() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename == UPSTREAM_READER:
            return True
        frame = frame.f_back
    return False


def _guard_outside_data(event: str, args: tuple) -> None:
    """Audit hook: refuse to open a file under ../shared unless ci/upstream_charts.py asks."""
    if event != "open" or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    path = os.fsdecode(args[0])
    if os.path.realpath(path).startswith(OUTSIDE_DATA) and not _read_by_upstream_reader():
        raise PermissionError(f"{path}: tests read ../shared only through ci/upstream_charts.py")


sys.addaudithook(_guard_outside_data)


@pytest.fixture(params=sorted(CASES))
def rendered(request: pytest.FixtureRequest) -> tuple[dict, ...]:
    """Every object of one case of the render matrix."""
    return render_case(request.param)
