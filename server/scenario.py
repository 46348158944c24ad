"""The random part of an episode, drawn whole at reset (common random numbers).

Every random number an episode uses comes from one ``numpy.random.Generator`` seeded from
``(task, seed)`` and is drawn up front as tables. Nothing an agent does changes which numbers
are drawn, so every policy faces the same scenario, and the grader's ceiling can read the same
tables the simulator will use.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from functools import cache, cached_property

import numpy as np

from server.constants import DELIVERY_METHODS, EPISODE_DAYS, MAX_SEED, PRODUCTS
from server.rules import (
    CostSpike,
    active_events,
    cost_spike_announced,
    day_multiplier,
    lead_window,
    spiked_cost_multiplier,
)
from server.task_catalog import get_task
from server.task_config import (
    CostSpikes,
    DemandShift,
    EventForecast,
    SupplierDisruption,
    TaskConfig,
)


@dataclass(frozen=True)
class Scenario:
    """The drawn tables of one ``(task, seed)``.

    ``base_demand[day, product]`` is the day's base demand before weekend, event and price
    effects; ``lead_time[day, product, method]`` is how many days after ``day`` an order of
    that product placed on that day with that method arrives.
    """

    task_name: str
    seed: int
    base_demand: np.ndarray
    lead_time: np.ndarray
    demand_multipliers: np.ndarray
    """``[day, product]`` weekend x event x demand shift multipliers (the task's table, shared,
    unless the task has a demand shift)."""
    demand_shift: tuple[tuple[int, float], ...] = ()
    """Per product, the drawn ``(shift day, factor)`` of the task's demand shift; ``()``: none."""
    arrival_delay: np.ndarray | None = None
    """``[day, product]`` extra days (supplier disruption) added to the lead time of an order
    placed that day; ``None``: all zero."""
    lost: np.ndarray | None = None
    """``[day, product]`` True where an order placed that day is lost (paid, never arrives);
    ``None``: none."""
    cost_multipliers: np.ndarray | None = None
    """``[day, product]`` unit-cost multiplier of an order placed that day (cost spikes; not
    shipping); ``None``: all 1."""
    disruptions: tuple[tuple[str, int, int, int], ...] = ()
    """The drawn disruptions: ``(product, first day, last day, extra days)``."""
    cost_spikes: tuple[CostSpike, ...] = ()
    """The drawn cost spikes: ``(product, first day, last day, factor)``, in draw order."""
    cost_notice_days: int = 0
    """Days before its first day a cost spike appears in the observation's ``cost_notices``."""
    events: tuple[tuple[str, int, float], ...] = ()
    """The realized events: ``(name, start day, size factor)``, in the task's order; the
    announced calendar with factor 1 unless the task has an event forecast error."""
    secret_tag: bytes | None = field(default=None, repr=False)
    """``None`` for the public scenario of ``(task, seed)``; for a scenario drawn with an
    operator secret, the HMAC mixed into its draw (it tells scenarios of different secrets
    apart in caches; it never leaves the server)."""

    # The Python rows below are computed on first use, not at the draw: the scalar simulator
    # reads them every step, the batch simulator (server/batch_env.py) never, and building
    # them was a quarter of a draw.
    @cached_property
    def base_demand_rows(self) -> tuple[tuple[int, ...], ...]:
        """``base_demand`` as Python numbers, for the simulator's reads one value at a time
        (indexing numpy per value cost a tenth of a step)."""
        return tuple(map(tuple, self.base_demand.tolist()))

    @cached_property
    def demand_multiplier_rows(self) -> tuple[tuple[float, ...], ...]:
        """``demand_multipliers`` as Python numbers, likewise."""
        return tuple(map(tuple, self.demand_multipliers.tolist()))

    @cached_property
    def supplier_rows(self) -> tuple[tuple[tuple[int, bool, float], ...], ...]:
        """Per day and product ``(extra days, lost, cost multiplier)`` as Python values, for
        the simulator's purchase stage."""
        shape = (EPISODE_DAYS, len(PRODUCTS))
        delay = (
            np.zeros(shape, dtype=np.int64) if self.arrival_delay is None else self.arrival_delay
        )
        lost = np.zeros(shape, dtype=bool) if self.lost is None else self.lost
        cost = np.ones(shape) if self.cost_multipliers is None else self.cost_multipliers
        return tuple(
            tuple(zip(days, losses, costs, strict=True))
            for days, losses, costs in zip(
                delay.tolist(), lost.tolist(), cost.tolist(), strict=True
            )
        )

    def cost_notices(self, day: int) -> list[dict[str, object]]:
        """The cost spikes announced to an agent deciding day ``day``: those starting within
        ``cost_notice_days`` days and those under way (absolute days, like deliveries)."""
        return [
            {"product": product, "first_day": first, "last_day": last, "cost_multiplier": factor}
            for product, first, last, factor in self.cost_spikes
            if cost_spike_announced(first, last, day, self.cost_notice_days)
        ]


def check_seed(seed: object) -> int:
    """``seed`` as an ``int``, or ``ValueError`` unless it is a whole number in [0, MAX_SEED]."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if seed < 0 or seed > MAX_SEED:
        raise ValueError(f"seed must be in [0, 2**63), got {seed}")
    return int(seed)


def resolve_seed(seed: int | None, task: TaskConfig) -> int:
    """The seed a scenario of ``task`` is drawn with: its default for ``None``, else ``seed``
    checked (``check_seed``)."""
    return task.default_seed if seed is None else check_seed(seed)


def validate_seed(seed: int | None, task_name: str) -> int:
    """``resolve_seed`` by the task's name: ``ValueError`` for an unknown task (naming the
    allowed ones), then for a bad seed."""
    return resolve_seed(seed, get_task(task_name))


def secret_tag(secret: bytes | str, task_name: str, seed: int) -> bytes:
    """HMAC-SHA256 of ``task|seed`` under ``secret``: unpredictable without the secret."""
    key = secret.encode() if isinstance(secret, str) else bytes(secret)
    return hmac.new(key, f"{task_name}|{seed}".encode(), hashlib.sha256).digest()


def draw_scenario(
    task_name: str, seed: int | None = None, *, secret: bytes | str | None = None
) -> Scenario:
    """Draw the whole random scenario of ``(task_name, seed)``; ``seed=None`` is the default.

    With an operator ``secret``, ``secret_tag(secret, task, seed)`` joins the seed entropy, so
    the scenario cannot be derived from ``(task, seed)`` without the secret. Without one the
    draw is the public, reproducible one (unchanged bit for bit).
    """
    return draw_task_scenario(get_task(task_name), seed, secret=secret)


def draw_task_scenario(
    task: TaskConfig, seed: int | None = None, *, secret: bytes | str | None = None
) -> Scenario:
    """``draw_scenario`` of a task already looked up (the environment's reset checks the
    name once, before its seed policy runs)."""
    task_name = task.name
    seed = resolve_seed(seed, task)
    entropy = [task.seed_stream, seed]
    tag = None
    if secret is not None:
        tag = secret_tag(secret, task_name, seed)
        entropy += [int.from_bytes(tag[i : i + 4], "little") for i in range(0, len(tag), 4)]
    rng = np.random.default_rng(np.random.SeedSequence(entropy))
    low = np.array([task.base_demand[p][0] for p in PRODUCTS], dtype=np.int64)
    high = np.array([task.base_demand[p][1] for p in PRODUCTS], dtype=np.int64)
    base_demand = rng.integers(low, high + 1, size=(EPISODE_DAYS, len(PRODUCTS)))
    earliest, latest = np.array([lead_window(m) for m in DELIVERY_METHODS], dtype=np.int64).T
    lead_time = rng.integers(
        earliest, latest + 1, size=(EPISODE_DAYS, len(PRODUCTS), len(DELIVERY_METHODS))
    )
    base_demand.setflags(write=False)
    lead_time.setflags(write=False)
    # The optional mechanics draw after everything else, in MECHANICS order, each only when
    # its block is present: a task without them draws exactly as before.
    shift: tuple[tuple[int, float], ...] = ()
    if task.demand_shift is not None:
        shift = _draw_shift(task.demand_shift, rng)
    delay = lost = None
    disruptions: tuple[tuple[str, int, int, int], ...] = ()
    if task.supplier_disruption is not None:
        delay, lost, disruptions = _disrupted(task.supplier_disruption, rng)
    costs = None
    spikes: tuple[CostSpike, ...] = ()
    if task.cost_spikes is not None:
        costs, spikes = _cost_spikes(task.cost_spikes, rng)
    events = tuple((name, start, 1.0) for name, start in task.events.items())
    if task.event_forecast is not None:
        events = _realized_events(task, task.event_forecast, rng)
    multipliers = _shifted(_multiplier_table(events), shift)
    return Scenario(
        task_name=task_name,
        seed=seed,
        base_demand=base_demand,
        lead_time=lead_time,
        demand_multipliers=multipliers,
        demand_shift=shift,
        arrival_delay=delay,
        lost=lost,
        cost_multipliers=costs,
        disruptions=disruptions,
        cost_spikes=spikes,
        cost_notice_days=task.cost_spikes.notice_days if task.cost_spikes else 0,
        events=events,
        secret_tag=tag,
    )


def _draw_shift(rule: DemandShift, rng: np.random.Generator) -> tuple[tuple[int, float], ...]:
    """Per product, the demand shift's ``(day, factor)``."""
    days = rng.integers(rule.first_day, rule.last_day + 1, size=len(PRODUCTS))
    picks = rng.integers(0, len(rule.factors), size=len(PRODUCTS))
    return tuple(
        (day, float(rule.factors[pick]))
        for day, pick in zip(days.tolist(), picks.tolist(), strict=True)
    )


def _shifted(multipliers: np.ndarray, shift: tuple[tuple[int, float], ...]) -> np.ndarray:
    """The multiplier table with each product's level shifted from its drawn day on."""
    if not shift:
        return multipliers
    table = multipliers.copy()
    for index, (day, factor) in enumerate(shift):
        table[day:, index] *= factor
    table.setflags(write=False)
    return table


def _realized_events(
    task: TaskConfig, rule: EventForecast, rng: np.random.Generator
) -> tuple[tuple[str, int, float], ...]:
    """Each event's realized ``(name, start, size factor)``: announced start + a drawn offset
    (kept within the month), and a drawn factor on its effect."""
    count = len(task.events)
    offsets = rng.integers(rule.start_offsets[0], rule.start_offsets[1] + 1, size=count)
    picks = rng.integers(0, len(rule.size_factors), size=count)
    return tuple(
        (name, min(max(start + offset, 0), EPISODE_DAYS - 1), float(rule.size_factors[pick]))
        for (name, start), offset, pick in zip(
            task.events.items(), offsets.tolist(), picks.tolist(), strict=True
        )
    )


def _disrupted(
    rule: SupplierDisruption, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, tuple[tuple[str, int, int, int], ...]]:
    """The ``[day, product]`` delay and loss tables of a supplier disruption."""
    n = len(PRODUCTS)
    hit = rng.permutation(n)[: rule.products]
    starts = rng.integers(rule.first_day, rule.last_day + 1, size=n)
    lengths = rng.integers(rule.length[0], rule.length[1] + 1, size=n)
    extra = rng.integers(rule.extra_days[0], rule.extra_days[1] + 1, size=n)
    chance = rng.random((EPISODE_DAYS, n))
    delay = np.zeros((EPISODE_DAYS, n), dtype=np.int64)
    lost = np.zeros((EPISODE_DAYS, n), dtype=bool)
    found = []
    for index in sorted(hit.tolist()):
        first = int(starts[index])
        last = min(first + int(lengths[index]) - 1, EPISODE_DAYS - 1)
        delay[first : last + 1, index] = extra[index]
        lost[first : last + 1, index] = chance[first : last + 1, index] < rule.loss_chance
        found.append((PRODUCTS[index], first, last, int(extra[index])))
    delay.setflags(write=False)
    lost.setflags(write=False)
    return delay, lost, tuple(found)


def _cost_spikes(
    rule: CostSpikes, rng: np.random.Generator
) -> tuple[np.ndarray, tuple[CostSpike, ...]]:
    """The drawn spikes and their ``[day, product]`` unit-cost multiplier table (where two
    spikes of a product overlap, the later drawn one holds: ``rules.spiked_cost_multiplier``,
    which the observation's ``unit_cost`` also asks)."""
    products = rng.integers(0, len(PRODUCTS), size=rule.count)
    starts = rng.integers(rule.first_day, rule.last_day + 1, size=rule.count)
    lengths = rng.integers(rule.length[0], rule.length[1] + 1, size=rule.count)
    picks = rng.integers(0, len(rule.factors), size=rule.count)
    spikes = tuple(
        (
            PRODUCTS[index],
            first,
            min(first + length - 1, EPISODE_DAYS - 1),
            float(rule.factors[pick]),
        )
        for index, first, length, pick in zip(
            products.tolist(), starts.tolist(), lengths.tolist(), picks.tolist(), strict=True
        )
    )
    table = np.array(
        [
            [spiked_cost_multiplier(spikes, product, day) for product in PRODUCTS]
            for day in range(EPISODE_DAYS)
        ]
    )
    table.setflags(write=False)
    return table, spikes


def demand_multiplier_table(task_name: str) -> np.ndarray:
    """``[day, product]`` weekend x event multipliers of a task's announced calendar (no
    randomness)."""
    events = get_task(task_name).events.items()
    return _multiplier_table(tuple((name, start, 1.0) for name, start in events))


@cache
def _multiplier_table(events: tuple[tuple[str, int, float], ...]) -> np.ndarray:
    """Cached by the event calendar itself, so a changed task file never reads a stale table."""
    calendar = {name: start for name, start, _ in events}
    sizes = {name: size for name, _, size in events}
    table = np.array(
        [
            [
                day_multiplier(product, day, active_events(calendar, day), sizes)
                for product in PRODUCTS
            ]
            for day in range(EPISODE_DAYS)
        ]
    )
    table.setflags(write=False)
    return table
