"""The tests read ../shared only through ci/upstream_charts.py (conftest.py's audit hook refuses
any other open): the contract tests read the project's own docs/api.md and docs/events.md, the CRD
schemas come from ci/upstream_charts.py crd_schemas()."""

from __future__ import annotations

import pytest
from chartlib import ROOT


def test_opening_the_shared_directory_outside_the_upstream_reader_is_refused() -> None:
    with pytest.raises(PermissionError, match=r"only through ci/upstream_charts\.py"):
        (ROOT.parent / "shared" / "spec" / "contract.md").read_text()
