"""Quorum edges (R7)."""

import pytest

from orchestrator.conduct.quorum import assess, counts_for_quorum, required_for_quorum
from orchestrator.kernel.errors import Invalid


@pytest.mark.parametrize(
    ("total", "present", "required", "holds"),
    [
        (26, 13, 14, False),  # even composition, exactly half: no quorum
        (26, 14, 14, True),  # even, half + 1
        (26, 26, 14, True),
        (26, 0, 14, False),
        (27, 13, 14, False),  # odd composition, just under half
        (27, 14, 14, True),  # odd, the smallest majority
        (34, 17, 18, False),
        (34, 18, 18, True),
        (1, 0, 1, False),
        (1, 1, 1, True),
        (2, 1, 2, False),  # exactly half of two
        (3, 2, 2, True),
    ],
)
def test_quorum_table(total: int, present: int, required: int, holds: bool) -> None:
    """Quorum needs more than half of the total composition, never exactly half."""
    q = assess(total, present)
    assert (q.required, q.holds) == (required, holds)
    assert required_for_quorum(total) == required


@pytest.mark.parametrize(
    ("kind", "present", "identified", "counts"),
    [
        ("deputy", True, True, True),
        ("secretary", True, True, True),  # the secretary is a deputy
        ("mayor", True, True, False),  # the mayor is not a deputy
        ("guest", True, True, False),
        ("deputy", True, False, False),  # not identified yet
        ("deputy", False, True, False),  # left the call
    ],
)
def test_who_counts(kind: str, present: bool, identified: bool, counts: bool) -> None:
    """Only present, identified deputies (the secretary included) count towards quorum."""
    assert counts_for_quorum(kind, present, identified) is counts


@pytest.mark.parametrize(("total", "present"), [(0, 0), (-1, 0), (10, -1), (10, 11)])
def test_impossible_counts_are_refused(total: int, present: int) -> None:
    """A composition below one or a count outside 0..composition is invalid input."""
    with pytest.raises(Invalid):
        assess(total, present)
