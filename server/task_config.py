"""What a task is: a typed, validated, frozen configuration read from a TOML task file.

A task fixes everything about an episode that is not random: cash, warehouse, starting stock,
the range of daily base demand and the event calendar. The random part is drawn from it by
``server.scenario``. The file format is described in ``docs/tasks.md``.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from server.constants import EPISODE_DAYS, EVENT_MULTIPLIERS, MAX_SEED, PRODUCTS, SHELF_LIFE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

TASK_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
"""A task's name is its file name without ``.toml``: lower case, digits, ``_`` and ``-``."""


MECHANICS = ("demand_shift", "supplier_disruption", "cost_spikes", "event_forecast")
"""The optional rule blocks of a task file, in the order their draws are made."""


class TaskFileError(ValueError):
    """A task file that cannot be used; the message names the file and the field."""


class Batch(BaseModel):
    """Units on the shelf at the start; ``days_left`` (perishables only) counts selling days."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quantity: StrictInt = Field(ge=0, le=100_000)
    days_left: StrictInt | None = Field(default=None, ge=0)


def _factors_in_range(value: tuple[float, ...]) -> tuple[float, ...]:
    """Multipliers drawn by a rule: each in (0, 10], no booleans."""
    if any(isinstance(f, bool) or not 0 < f <= 10 for f in value):
        raise ValueError(f"every factor must be in (0, 10], got {list(value)}")
    return value


Factors = Annotated[
    tuple[float, ...], Field(min_length=1, max_length=20), AfterValidator(_factors_in_range)
]
"""The ``factors`` of a drawn rule: 1-20 numbers in (0, 10]."""


class _DayWindowRule(BaseModel):
    """A rule drawn on days ``first_day..last_day``: frozen, no unknown fields, days in order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="after")
    def _ordered_days(self) -> _DayWindowRule:
        first, last = self.first_day, self.last_day  # type: ignore[attr-defined]
        if first > last:
            raise ValueError(f"first_day {first} is after last_day {last}")
        return self


class DemandShift(_DayWindowRule):
    """An unannounced change of each product's demand level, drawn at reset.

    For each product (in product order) a shift day is drawn uniform on
    ``first_day..last_day`` and a factor uniformly from ``factors``; from that day on (inclusive)
    the product's demand multiplier is multiplied by the factor. Agents see only this rule (in
    ``GET /tasks``) and their sales, never the drawn days or factors.
    """

    first_day: StrictInt = Field(ge=1, le=EPISODE_DAYS - 1)
    last_day: StrictInt = Field(ge=1, le=EPISODE_DAYS - 1)
    factors: Factors


def _day_range(value: tuple[int, int], name: str, low: int, high: int) -> tuple[int, int]:
    """Check an inclusive ``[low, high]`` pair of whole numbers within ``low..high``."""
    first, last = value
    if not low <= first <= last <= high:
        raise ValueError(f"{name} must be [a, b] with {low} <= a <= b <= {high}, got {list(value)}")
    return value


class SupplierDisruption(_DayWindowRule):
    """Supplier trouble on some products, unannounced, drawn at reset.

    ``products`` distinct products are hit. For each, a window of ``length`` days (drawn on
    ``length[0]..length[1]``) starting on a day drawn on ``first_day..last_day`` (cut at the
    last day of the month); every order of that product placed in the window arrives
    ``extra_days`` (drawn once per product) later than its drawn lead time, and each such order
    day is lost outright with probability ``loss_chance`` (paid, never delivered). The exact
    draw order is in ``docs/tasks.md``.
    """

    products: StrictInt = Field(ge=1, le=len(PRODUCTS))
    first_day: StrictInt = Field(ge=0, le=EPISODE_DAYS - 1)
    last_day: StrictInt = Field(ge=0, le=EPISODE_DAYS - 1)
    length: tuple[StrictInt, StrictInt]
    extra_days: tuple[StrictInt, StrictInt]
    loss_chance: float = Field(ge=0.0, le=1.0)

    @field_validator("length")
    @classmethod
    def _length_range(cls, value: tuple[int, int]) -> tuple[int, int]:
        return _day_range(value, "length", 1, EPISODE_DAYS)

    @field_validator("extra_days")
    @classmethod
    def _extra_range(cls, value: tuple[int, int]) -> tuple[int, int]:
        return _day_range(value, "extra_days", 0, EPISODE_DAYS)

    @field_validator("loss_chance", mode="before")
    @classmethod
    def _chance_is_a_number(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"must be a number, got {value!r}")
        return float(value)


class CostSpikes(_DayWindowRule):
    """Announced rises of a product's unit cost, drawn at reset.

    ``count`` spikes, each on a product drawn uniformly (repeats allowed), starting on a day
    drawn on ``first_day..last_day``, lasting ``length`` days (drawn on the pair, cut at the
    month's end), multiplying the unit cost (not shipping) by a factor drawn from ``factors``.
    Where spikes of a product overlap, the later drawn one holds (a factor below 1 is a
    supplier's sale). Each spike is shown in the observation's
    ``cost_notices`` from ``notice_days`` days before it starts until it ends.
    """

    count: StrictInt = Field(ge=1, le=20)
    first_day: StrictInt = Field(ge=0, le=EPISODE_DAYS - 1)
    last_day: StrictInt = Field(ge=0, le=EPISODE_DAYS - 1)
    length: tuple[StrictInt, StrictInt]
    factors: Factors
    notice_days: StrictInt = Field(ge=0, le=EPISODE_DAYS)

    @field_validator("length")
    @classmethod
    def _length_range(cls, value: tuple[int, int]) -> tuple[int, int]:
        return _day_range(value, "length", 1, EPISODE_DAYS)


class EventForecast(BaseModel):
    """The event calendar is a forecast: each event's realized start and size differ.

    For each event of the task (in the file's order) an offset is drawn on
    ``start_offsets[0]..start_offsets[1]`` and a factor from ``size_factors``: the event
    starts ``offset`` days after its announced day (kept within the month) and each of its
    demand multipliers ``m`` becomes ``1 + (m - 1) * factor`` (the effect, up or down, scaled).
    Agents see the announced calendar and this rule, never the draws.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start_offsets: tuple[StrictInt, StrictInt]
    size_factors: tuple[float, ...] = Field(min_length=1, max_length=20)

    @field_validator("start_offsets")
    @classmethod
    def _offset_range(cls, value: tuple[int, int]) -> tuple[int, int]:
        return _day_range(value, "start_offsets", -7, 7)

    @field_validator("size_factors")
    @classmethod
    def _factor_range(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(isinstance(f, bool) or not 0 <= f <= 5 for f in value):
            raise ValueError(f"every factor must be in [0, 5], got {list(value)}")
        return value


class TaskConfig(BaseModel):
    """One task. Frozen: the simulator, the grader and the agents share one instance."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: StrictStr
    title: StrictStr = Field(min_length=1, max_length=80)
    description: StrictStr = Field(min_length=1, max_length=1000)
    default_seed: StrictInt = Field(ge=0, le=MAX_SEED)
    seed_stream: StrictInt = Field(ge=0, lt=2**32)
    """Mixed with the seed into the scenario's random stream: tasks with the same stream and the
    same demand ranges draw the same scenario (easy 0, medium 1, hard 2). Optional in a file:
    the default is a hash of the task's name."""
    starting_cash: float = Field(ge=0, le=1e9)
    capacity: dict[str, StrictInt]
    starting_stock: dict[str, tuple[Batch, ...]]
    base_demand: dict[str, tuple[StrictInt, StrictInt]]
    events: dict[str, StrictInt] = Field(default_factory=dict)
    """Event name -> the day it starts (active that day and the next)."""
    demand_shift: DemandShift | None = None
    """Optional unannounced demand level shift (``DemandShift``)."""
    supplier_disruption: SupplierDisruption | None = None
    """Optional late and lost shipments (``SupplierDisruption``)."""
    cost_spikes: CostSpikes | None = None
    """Optional announced unit-cost rises (``CostSpikes``)."""
    event_forecast: EventForecast | None = None
    """Optional error of the event calendar's timing and size (``EventForecast``)."""

    @field_validator("starting_cash", mode="before")
    @classmethod
    def _cash_is_a_number(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"must be a number, got {value!r}")
        return float(value)

    @field_validator("name")
    @classmethod
    def _name_is_a_slug(cls, value: str) -> str:
        if not TASK_NAME_PATTERN.match(value):
            raise ValueError(f"must match {TASK_NAME_PATTERN.pattern}")
        return value

    @field_validator("capacity", "starting_stock", "base_demand")
    @classmethod
    def _one_entry_per_product(cls, value: dict[str, Any]) -> dict[str, Any]:
        missing = [p for p in PRODUCTS if p not in value]
        unknown = [p for p in value if p not in PRODUCTS]
        if missing or unknown:
            raise ValueError(
                f"needs exactly the products {', '.join(PRODUCTS)}"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(unknown)}" if unknown else "")
            )
        return {p: value[p] for p in PRODUCTS}

    @field_validator("capacity")
    @classmethod
    def _capacity_positive(cls, value: dict[str, int]) -> dict[str, int]:
        for product, units in value.items():
            if not 1 <= units <= 100_000:
                raise ValueError(f"{product}: capacity must be in 1..100000, got {units}")
        return value

    @field_validator("base_demand")
    @classmethod
    def _demand_range(cls, value: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
        for product, (low, high) in value.items():
            if not 0 <= low <= high <= 100_000:
                raise ValueError(f"{product}: need 0 <= low <= high <= 100000, got [{low}, {high}]")
        return value

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: dict[str, int]) -> dict[str, int]:
        for event, start in value.items():
            if event not in EVENT_MULTIPLIERS:
                raise ValueError(f"unknown event {event!r}; known: {', '.join(EVENT_MULTIPLIERS)}")
            if not 0 <= start < EPISODE_DAYS:
                raise ValueError(f"{event}: start day must be in 0..{EPISODE_DAYS - 1}")
        return value

    @model_validator(mode="after")
    def _stock_fits(self) -> TaskConfig:
        for product, batches in self.starting_stock.items():
            shelf_life = SHELF_LIFE[product]
            for batch in batches:
                if shelf_life is None and batch.days_left is not None:
                    raise ValueError(f"starting_stock.{product}: never expires, drop days_left")
                if shelf_life is not None and (
                    batch.days_left is None or batch.days_left > shelf_life
                ):
                    raise ValueError(
                        f"starting_stock.{product}: perishable, days_left must be in "
                        f"0..{shelf_life}"
                    )
            units = sum(batch.quantity for batch in batches)
            if units > self.capacity[product]:
                raise ValueError(
                    f"starting_stock.{product}: {units} units exceed the capacity "
                    f"{self.capacity[product]}"
                )
        return self

    @cached_property
    def published(self) -> dict[str, Any]:
        """The task as ``GET /tasks`` shows it and agents read it (``starting_stock`` batches as
        ``[quantity, days_left]``, ``None`` for no expiry). Treat as read-only."""
        return {
            "title": self.title,
            "description": self.description,
            "default_seed": self.default_seed,
            "starting_cash": self.starting_cash,
            "capacity": dict(self.capacity),
            "starting_stock": {
                p: [[b.quantity, b.days_left] for b in batches]
                for p, batches in self.starting_stock.items()
            },
            "base_demand": {p: [low, high] for p, (low, high) in self.base_demand.items()},
            "events": dict(self.events),
            **{
                rule: getattr(self, rule).model_dump(mode="json")
                for rule in MECHANICS
                if getattr(self, rule) is not None
            },
        }

    @cached_property
    def digest(self) -> str:
        """Content hash: caches keyed by a task name use it to notice a changed task."""
        content = self.model_dump(mode="json")
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def name_seed_stream(name: str) -> int:
    """The seed stream of a task file that names none: a stable hash of the task's name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big")


def _problem(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    location = ".".join(str(part) for part in error["loc"])
    # checks across fields (``_stock_fits``) start their message with the field's path
    return f"field {location}: {message}" if location else f"field {message}"


def parse_task(name: str, data: dict[str, Any], source: str) -> TaskConfig:
    """Validate the parsed contents of a task file; errors name ``source`` and the field."""
    if "name" in data:
        raise TaskFileError(f"{source}: field name: the file name is the task's name; drop it")
    data = {"name": name, "seed_stream": name_seed_stream(name), **data}
    try:
        return TaskConfig.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(_problem(e) for e in error.errors(include_url=False))
        raise TaskFileError(f"{source}: {problems}") from None


def load_task_file(path: Path) -> TaskConfig:
    """Read and validate one ``<name>.toml`` task file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise TaskFileError(f"{path}: not a readable TOML file: {error}") from None
    return parse_task(path.stem, data, str(path))
