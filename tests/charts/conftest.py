"""Fixtures of the chart tests; the machinery (helm lookup, renders) is in chartlib.py."""

from __future__ import annotations

import pytest
from chartlib import CASES, render_case


@pytest.fixture(params=sorted(CASES))
def rendered(request: pytest.FixtureRequest) -> tuple[dict, ...]:
    """Every object of one case of the render matrix."""
    return render_case(request.param)
