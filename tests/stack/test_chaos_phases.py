"""A fault phase is judged by the violations it adds (ci/chaos_checks.EarlierViolations).

The fault suite (ci/chaos.py) and the pods env's faults run phase after phase on one stack: an
order a phase left stuck must fail that phase, not every phase after it. No servers are needed.
"""

from __future__ import annotations

from chaos_checks import CATEGORIES, EarlierViolations, Snapshot


def _snapshot(**violations: set[str]) -> Snapshot:
    snap = Snapshot()
    for category, keys in violations.items():
        for key in keys:
            snap.add(category, key)
    return snap


def test_the_first_phase_is_judged_by_everything_it_finds():
    earlier = EarlierViolations()
    new = earlier.new_in(_snapshot(stuck={"order-1"}))
    assert new["stuck"] == {"order-1"}
    assert set(new) == set(CATEGORIES)


def test_a_later_phase_is_judged_only_by_what_it_adds():
    earlier = EarlierViolations()
    earlier.remember(_snapshot(stuck={"order-1"}, leaked={"sku-a"}))

    still_there = _snapshot(stuck={"order-1"}, leaked={"sku-a"})
    assert not any(earlier.new_in(still_there).values())

    added = _snapshot(stuck={"order-1", "order-2"}, duplicated={"payment-9"})
    assert earlier.new_in(added) == {
        "stuck": {"order-2"},
        "lost": set(),
        "duplicated": {"payment-9"},
        "leaked": set(),
        "inconsistent": set(),
    }


def test_what_a_phase_leaves_is_remembered_for_the_next():
    earlier = EarlierViolations()
    earlier.remember(_snapshot(stuck={"order-1"}))
    earlier.remember(_snapshot(lost={"order-7"}))
    assert not any(earlier.new_in(_snapshot(stuck={"order-1"}, lost={"order-7"})).values())
