"""What sales say about a product's unannounced demand shift: a posterior over its day and factor.

A task's published ``demand_shift`` rule says the shift happens on a day uniform on
``first_day..last_day`` with a factor drawn uniformly from ``factors``; base demand is uniform on
the published ``[low, high]``. Each day's demand is the simulator's
``round_half_up(base x multiplier x shift x price ** -elasticity)``, so the likelihood of the
units seen under each hypothesis ``(day, factor)`` is exact: the share of the equally likely
bases that round to them. A careful manager who reads the rule and watches sales can do no
better than this posterior, and a slow average does much worse (it mixes the old level in).

Days the rule cannot explain (e.g. an event bigger than announced) would otherwise be read as
a shift, so every day's likelihood is mixed with a small broad "something else" term.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

_OUTLIER_SHARE = 0.05
"""Weight of the broad term: how often a day is assumed to follow no rule at all."""
_ROUNDING_SLACK = 1e-9
"""Bases this close to a rounding boundary count on both sides (float order differs)."""


class ShiftBelief:
    """Posterior over ``(shift day, factor)`` of one product, updated day by day."""

    def __init__(
        self, first_day: int, last_day: int, factors: Sequence[float], low: int, high: int
    ) -> None:
        self._hypotheses = [
            (day, float(f)) for day in range(first_day, last_day + 1) for f in factors
        ]
        self._log_weights = [0.0] * len(self._hypotheses)
        self._posterior = [1.0 / len(self._hypotheses)] * len(self._hypotheses)
        self._bases = range(int(low), int(high) + 1)
        self._max_factor = max(float(f) for f in factors)

    def _likelihood(self, units: int, scale: float) -> float:
        """P(demand == units) when each base is equally likely and demand rounds base x scale."""
        if scale <= 0:
            return 1.0 if units == 0 else 0.0
        matches = sum(
            1 for base in self._bases if abs(base * scale - units) <= 0.5 + _ROUNDING_SLACK
        )
        return matches / len(self._bases)

    def observe(self, day: int, units: int, multiplier: float) -> None:
        """Fold in ``units`` wanted on ``day``, when everything but the shift multiplied base
        demand by ``multiplier`` (weekend, events, price)."""
        broad = 1.0 / (math.ceil(self._bases[-1] * multiplier * self._max_factor * 2) + 2)
        cache: dict[float, float] = {}
        for index, (shift_day, factor) in enumerate(self._hypotheses):
            effective = factor if day >= shift_day else 1.0
            if effective not in cache:
                exact = self._likelihood(units, multiplier * effective)
                cache[effective] = (1 - _OUTLIER_SHARE) * exact + _OUTLIER_SHARE * broad
            self._log_weights[index] += math.log(cache[effective])
        top = max(self._log_weights)
        weights = [math.exp(w - top) for w in self._log_weights]
        total = sum(weights)
        self._posterior = [w / total for w in weights]

    def expected_factor(self, day: int) -> float:
        """The posterior mean of the shift multiplier in force on ``day``."""
        return sum(
            w * (factor if day >= shift_day else 1.0)
            for w, (shift_day, factor) in zip(self._posterior, self._hypotheses, strict=True)
        )

    def largest_factor(self, day: int, at_least: float = 0.01) -> float:
        """The largest multiplier on ``day`` with posterior probability >= ``at_least``."""
        mass: dict[float, float] = {}
        for w, (shift_day, factor) in zip(self._posterior, self._hypotheses, strict=True):
            effective = factor if day >= shift_day else 1.0
            mass[effective] = mass.get(effective, 0.0) + w
        return max(f for f, m in mass.items() if m >= at_least)
