"""The heuristic's posterior over a published demand-shift rule, on hand-computed cases."""

from __future__ import annotations

import pytest

from server.shift_belief import ShiftBelief


def test_the_likelihood_counts_the_bases_that_round_to_the_units() -> None:
    belief = ShiftBelief(5, 5, [2.0], 0, 2)  # bases 0, 1, 2 equally likely
    # scale 1.4: 0 -> 0, 1 -> 1.4 -> 1, 2 -> 2.8 -> 3
    assert belief._likelihood(1, 1.4) == pytest.approx(1 / 3)
    assert belief._likelihood(2, 1.4) == 0.0
    # a base exactly on a rounding boundary (1 x 1.5) counts for both neighbours: float order
    # may differ from the simulator's
    assert belief._likelihood(1, 1.5) == belief._likelihood(2, 1.5) == pytest.approx(1 / 3)
    assert belief._likelihood(0, 0.0) == 1.0


def test_sales_reveal_the_day_and_the_factor() -> None:
    """Base demand is always 6. Days 0-2 sell 6, day 3 sells 3: only (day 3, x0.5) explains
    them (a shift on day 2 would have sold 3 or 12 on day 2; x2.0 would sell 12 on day 3)."""
    belief = ShiftBelief(2, 4, [0.5, 2.0], 6, 6)
    assert belief.expected_factor(10) == pytest.approx((0.5 + 2.0) / 2)  # the prior
    for day, units in enumerate([6, 6, 6, 3]):
        belief.observe(day, units, 1.0)
    assert belief.expected_factor(1) == 1.0  # before first_day no hypothesis has shifted
    assert belief.expected_factor(10) == pytest.approx(0.5, abs=0.01)
    assert belief.largest_factor(10) == 0.5


def test_one_odd_day_does_not_convince_it() -> None:
    """A single day the rule cannot explain (12 units of a base fixed at 6, x2.0 not yet
    possible on day 1) is put down to the broad term, not to a shift."""
    belief = ShiftBelief(3, 4, [0.5, 2.0], 6, 6)
    for day, units in enumerate([6, 12, 6]):
        belief.observe(day, units, 1.0)
    assert belief.expected_factor(10) == pytest.approx(1.25, abs=1e-9)  # prior mean kept
