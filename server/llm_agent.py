"""The LLM store manager: prompts an OpenAI-compatible chat model for each day's action.

* A compact system prompt states the rules, the products and the task's published
  configuration.
* Each day the model sees the last ``HISTORY_DAYS`` days (its observation and the action
  actually taken) and today's observation; nothing older is ever sent.
* Replies are parsed as JSON even inside code fences or after ``<think>`` blocks. An invalid
  reply gets one retry that quotes the validation error; if that fails too, the heuristic's
  action is taken and counted as a fallback. API errors and timeouts are retried with
  exponential backoff a bounded number of times, then also fall back to the heuristic.
* An optional ``FailureMonitor`` (``llm_config``) sees every failure: an endpoint that keeps
  failing the same way raises ``EndpointDown`` instead of falling back day after day.
* Without a key no ``Authorization`` header is sent at all.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import ValidationError

from models import InventoryAction, InventoryObservation
from server.catalogue import rules_catalogue
from server.constants import EPISODE_DAYS
from server.heuristic_agent import HeuristicAgent
from server.llm_config import FailureMonitor, LLMConfigError, llm_config_from_env
from server.rules import event_has_ended, event_is_active, is_weekend
from server.task_catalog import get_task

HISTORY_DAYS = 7
"""Past days (observation + action) sent with each request."""
DAY_HEADER = "Day {day} of {days}"
"""First line of every observation message: tests and logs count days by it."""


class ReplyError(ValueError):
    """The model's reply holds no valid action; the message says why (sent back on retry)."""


# --------------------------------------------------------------------------- parsing
_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n?(.*?)```", re.DOTALL)


def _json_objects(text: str) -> list[str]:
    """Every balanced top-level ``{...}`` span in ``text``, in order (strings respected)."""
    spans: list[str] = []
    depth, start, in_string, escaped = 0, -1, False, False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"' and depth > 0:
            in_string = True
        elif char == "{":
            if depth == 0:
                start = index
            depth += 1
        elif char == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append(text[start : index + 1])
    return spans


def _validation_message(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item.get("loc", ())) or "action"
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    return "; ".join(parts)


def parse_action(reply: str | None) -> InventoryAction:
    """The action in a model's reply.

    Drops ``<think>...</think>`` blocks (and an unterminated one's opening tag), prefers a
    fenced code block, and takes the last JSON object that decodes; ``{"action": {...}}`` is
    unwrapped. Raises ``ReplyError`` naming the problem.
    """
    if not reply or not reply.strip():
        raise ReplyError("the reply was empty; answer with one JSON object")
    text = _THINK_BLOCK.sub("", reply)
    if "</think>" in text.lower():  # an opening tag lost to truncation: keep what follows
        text = re.split(r"</think>", text, flags=re.IGNORECASE)[-1]
    candidates = [block for block in _FENCE.findall(text)] + [text]
    decoded: Any = None
    for candidate in candidates:
        for span in reversed(_json_objects(candidate)):
            try:
                decoded = json.loads(span)
            except json.JSONDecodeError:
                continue
            break
        if decoded is not None:
            break
    if not isinstance(decoded, dict):
        raise ReplyError("no JSON object found in the reply; answer with one JSON object")
    if set(decoded) == {"action"} and isinstance(decoded["action"], dict):
        decoded = decoded["action"]
    try:
        return InventoryAction.model_validate(decoded)
    except ValidationError as error:
        raise ReplyError(_validation_message(error)) from None


# --------------------------------------------------------------------------- prompts
def system_prompt(task_name: str, task_config: Mapping[str, Any] | None = None) -> str:
    """The rules, products and the task's published configuration, compactly: the words
    of the ``GET /tasks`` catalogue (``server.catalogue``)."""
    task = task_config or get_task(task_name).published
    rules = rules_catalogue()

    def life(days: int | None) -> str:
        return f"sellable {days} days from arrival" if days else "never expires"

    products = "\n".join(
        f"- {p['name']}: sells ${p['sell_price']:g}, costs ${p['cost_price']:g}, "
        f"{life(p['shelf_life_days'])}, elasticity {p['elasticity']:g}, base demand "
        f"{task['base_demand'][p['name']][0]}-{task['base_demand'][p['name']][1]}/day, "
        f"warehouse capacity {task['capacity'][p['name']]}"
        for p in rules["products"]
    )

    def lead(low: int, high: int) -> str:
        return f"{low} day{'s' if low > 1 else ''}" if low == high else f"{low}-{high} days"

    shipping = ", ".join(
        f"{s['method']} ${s['cost_per_unit']:g}/unit arriving after "
        + lead(s["min_days"], s["max_days"])
        for s in rules["shipping"]
    )
    known_events = {event["name"]: event for event in rules["events"]}
    events = task.get("events") or {}
    event_lines = (
        "\n".join(
            f"- {name} (day {start}): "
            + ", ".join(f"{p} x{x:g}" for p, x in known_events[name]["demand_multipliers"].items())
            for name, start in sorted(events.items(), key=lambda item: item[1])
        )
        or "- none"
    )
    (event_days,) = {event["duration_days"] for event in rules["events"]}  # one for all
    weekend_multiplier = rules["weekend"]["multiplier"]
    weekend = ", ".join(str(d) for d in rules["weekend"]["days"])
    prices = rules["price_multiplier"]
    price_range = f"{prices['min']:g}-{prices['max']:g}"
    return f"""You manage a retail store for a {EPISODE_DAYS}-day month. Task "{task_name}": \
{task.get("description", "")}
Goal: maximise profit = final cash - starting cash (${task["starting_cash"]:g}). Stock left at \
the end is worth nothing.

Products:
{products}

Each day, answer with ONE JSON object and nothing else:
{{"buy_quantities": {{"<product>": <units>}}, "delivery_method": "slow" | "medium" | "fast", \
"liquidate": {{"<product>": <units>}}, "price_multipliers": {{"<product>": <{price_range}>}}}}
Every field may be omitted ({{}} = buy nothing, sell at 1.0x).

Rules:
- Shipping (one method per day for all of that day's orders): {shipping}.
- An order costs units x (cost + shipping), paid now. It is refused whole if cash cannot pay \
it or if on hand + in transit + order exceeds the product's capacity.
- Demand = base x {weekend_multiplier:g} on weekend days (day % 7 in {weekend}) x event \
multiplier x price_multiplier^-elasticity, rounded. Unmet demand is lost. Revenue = units \
sold x sell price x price multiplier.
- Groceries: a batch [units, k] can still be sold on the next k days. Sales and liquidation \
take the oldest batch first. Liquidation earns nothing.
- Events last {event_days} days; countdown 0 = starts today, -1 = its second day.
Events:
{event_lines}{_mechanics_lines(task)}"""


def _mechanics_lines(task: Mapping[str, Any]) -> str:
    """The task's optional rules (their published blocks), one line each; '' for none."""
    lines = []
    if shift := task.get("demand_shift"):
        lines.append(
            f"- Unannounced: each product's demand level changes once, on a day in "
            f"{shift['first_day']}-{shift['last_day']}, by one of x{shift['factors']}; "
            "only sales show it."
        )
    if trouble := task.get("supplier_disruption"):
        lines.append(
            f"- Unannounced supplier trouble: {trouble['products']} product(s), each for "
            f"{trouble['length'][0]}-{trouble['length'][1]} days starting in days "
            f"{trouble['first_day']}-{trouble['last_day']}; orders placed then arrive "
            f"{trouble['extra_days'][0]}-{trouble['extra_days'][1]} days later than promised "
            "and each such order is lost (paid, never delivered) with chance "
            f"{trouble['loss_chance']:g}."
        )
    if spikes := task.get("cost_spikes"):
        lines.append(
            f"- Unit-cost spikes (x{spikes['factors']}, {spikes['count']} per month) are "
            f"announced {spikes['notice_days']} days ahead in 'Supplier cost notices'; buy ahead."
        )
    if forecast := task.get("event_forecast"):
        low, high = forecast["start_offsets"]
        lines.append(
            f"- The event days are forecasts: each event starts {low} to {high} days from its "
            f"announced day and its effect is x{forecast['size_factors']} of the published one."
        )
    return "\nRisks:\n" + "\n".join(lines) if lines else ""


def _window(first: int, last: int) -> str:
    return f"day {last}" if first >= last else f"day {first}-{last}"


def _weekend_note(day: int) -> str:
    return " (weekend)" if is_weekend(day) else ""


def observation_message(observation: InventoryObservation) -> str:
    """Today's situation: what the agent needs to decide, compactly."""
    day = observation.current_day
    compact = json.dumps
    lines = [
        DAY_HEADER.format(day=day, days=EPISODE_DAYS)
        + f"{_weekend_note(day)}: {observation.days_remaining} days left.",
        f"Cash ${observation.total_cash:.2f}; profit so far ${observation.total_profit:.2f}.",
    ]
    if day > 0:
        lines += [
            f"Yesterday: demand {compact(observation.demand_today)}, "
            f"sold {compact(observation.units_sold)}, missed {compact(observation.units_missed)}, "
            f"expired {compact(observation.units_expired)}, "
            f"received {compact(observation.units_received)}, "
            f"at prices {compact(observation.price_multipliers)}.",
        ]
    lines.append(f"Stock [units, days left]: {compact(observation.updated_inventory)}")
    lines.append(f"Space left: {compact(observation.remaining_capacity)}")
    transit = [
        f"{s['quantity']} {s['product']} ({s['method']}) "
        + (
            f"overdue (promised by day {s['latest_arrival_day']})"
            if s["latest_arrival_day"] < day
            else "arriving " + _window(max(day, s["earliest_arrival_day"]), s["latest_arrival_day"])
        )
        for s in observation.updated_deliveries
    ]
    lines.append("In transit: " + ("; ".join(transit) if transit else "nothing"))
    events = [
        f"{name} {'active' if event_is_active(day + left, day) else f'in {left} days'}"
        for name, left in observation.updated_events.items()
        if not event_has_ended(day + left, day)
    ]
    if events:
        lines.append("Events: " + ", ".join(events))
    costs = [
        f"{n['product']} unit cost x{n['cost_multiplier']} on orders placed "
        + _window(n["first_day"], n["last_day"])
        for n in observation.cost_notices
    ]
    if costs:
        lines.append("Supplier cost notices: " + "; ".join(costs))
    if observation.notes and day > 0:
        lines.append("Notes: " + " ".join(observation.notes))
    lines.append("Your action (one JSON object):")
    return "\n".join(lines)


def action_message(action: InventoryAction) -> str:
    """The action taken, as the assistant turn kept in the history."""
    return json.dumps(action.model_dump(exclude={"metadata"}, exclude_defaults=True) or {})


# --------------------------------------------------------------------------- the agent
@dataclass(frozen=True)
class LLMSettings:
    """Endpoint and robustness settings (``inference.py`` fills them from CLI and env)."""

    base_url: str
    model: str
    api_key: str | None = None
    """None: send no ``Authorization`` header (a local server without keys)."""
    timeout_s: float = 60.0
    """Per request."""
    api_retries: int = 3
    """Extra attempts after an API error or timeout."""
    backoff_s: float = 1.0
    """First backoff; doubles each retry."""
    temperature: float = 0.2
    max_tokens: int = 1024


def settings_from_env(
    environ: Mapping[str, str], strict: bool = False, **options: Any
) -> LLMSettings | None:
    """The endpoint named by ``API_BASE_URL``, ``MODEL_NAME`` and ``HF_TOKEN`` or ``API_KEY``
    (``options`` set the other fields), or ``None`` when it is not (fully) configured.

    ``strict``: half a configuration raises ``LLMConfigError`` naming what is missing.
    """
    try:
        endpoint = llm_config_from_env(environ)
    except LLMConfigError:
        if strict:
            raise
        return None
    if endpoint is None:
        return None
    return LLMSettings(
        base_url=endpoint.base_url, model=endpoint.model, api_key=endpoint.api_key, **options
    )


@dataclass
class LLMStats:
    """What one episode cost and how often the model needed help."""

    llm_calls: int = 0
    invalid_replies: int = 0
    retries: int = 0
    """Invalid replies followed by a retry request."""
    api_errors: int = 0
    fallbacks: int = 0
    """Days on which the heuristic's action was taken."""
    fallbacks_invalid_reply: int = 0
    fallbacks_api_error: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["total_tokens"] = self.total_tokens
        data["errors"] = self.errors[:5]
        return data


def _hopeless(error: BaseException) -> bool:
    """Errors that retrying will not fix: nothing listening, wrong key, unknown model/path."""
    import openai

    if isinstance(error, openai.APITimeoutError):
        return False
    if isinstance(error, openai.APIConnectionError):
        return True
    return isinstance(
        error, (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError)
    )


class _ApiFailure(Exception):
    """The endpoint did not answer usefully after all retries."""


class LLMAgent:
    """An async agent backed by an OpenAI-compatible chat endpoint, heuristic as safety net."""

    name = "llm"

    def __init__(
        self,
        settings: LLMSettings,
        task_config: Mapping[str, Any] | None = None,
        client: Any = None,
        monitor: FailureMonitor | None = None,
    ) -> None:
        from openai import AsyncOpenAI, Omit  # imported late: only the LLM agent needs it

        self.settings = settings
        self._task_config = task_config
        self.monitor = monitor
        self._client = client or AsyncOpenAI(
            base_url=settings.base_url,
            # The client insists on a key; without one the header is omitted per request.
            api_key=settings.api_key or "no-key",
            timeout=settings.timeout_s,
            max_retries=0,
        )
        self._extra_headers = {} if settings.api_key else {"Authorization": Omit()}
        self._fallback = HeuristicAgent(task_config)
        self._history: deque[tuple[str, str]] = deque(maxlen=HISTORY_DAYS)
        self._system = ""
        self.stats = LLMStats()

    def reset(self, task_name: str) -> None:
        """New episode: new system prompt, empty history, zeroed statistics."""
        self._fallback.reset(task_name)
        self._system = system_prompt(task_name, self._task_config)
        self._history.clear()
        self.stats = LLMStats()

    async def act(self, observation: InventoryObservation) -> InventoryAction:
        """Ask the model; one retry on an invalid reply; otherwise the heuristic's action."""
        if not self._system:
            self.reset(observation.task_name)
        heuristic_action = self._fallback.act(observation)  # keeps its demand estimates current
        today = observation_message(observation)
        messages = [{"role": "system", "content": self._system}]
        for user, assistant in self._history:
            messages += [
                {"role": "user", "content": user},
                {"role": "assistant", "content": assistant},
            ]
        messages.append({"role": "user", "content": today})
        action: InventoryAction | None = None
        try:
            reply = await self._complete(messages)
            if self.monitor is not None:
                self.monitor.success()  # the endpoint answered
            try:
                action = parse_action(reply)
            except ReplyError as error:
                self.stats.invalid_replies += 1
                self.stats.retries += 1
                self._note(f"day {observation.current_day}: invalid reply: {error}")
                retry = messages + [
                    {"role": "assistant", "content": reply or ""},
                    {
                        "role": "user",
                        "content": f"That reply was not a valid action: {error}. "
                        "Answer again with one JSON object only.",
                    },
                ]
                reply = await self._complete(retry)
                try:
                    action = parse_action(reply)
                except ReplyError as second:
                    self.stats.invalid_replies += 1
                    self.stats.fallbacks_invalid_reply += 1
                    self._note(f"day {observation.current_day}: invalid retry: {second}")
                    if self.monitor is not None:
                        self.monitor.fallback(f"invalid reply: {second}", endpoint_failed=False)
        except _ApiFailure as failure:
            self.stats.fallbacks_api_error += 1
            self._note(f"day {observation.current_day}: API failure: {failure}")
            if self.monitor is not None:
                self.monitor.fallback(f"API failure: {failure}", endpoint_failed=True)
        if action is None:
            self.stats.fallbacks += 1
            action = heuristic_action
        self._history.append((today, action_message(action)))
        return action

    def _note(self, text: str) -> None:
        if len(self.stats.errors) < 20:
            self.stats.errors.append(text)

    def _redacted(self, text: str) -> str:
        """``text`` without the API key: an endpoint may quote it back in its error message."""
        key = self.settings.api_key
        return text.replace(key, "***") if key else text

    async def _complete(self, messages: list[dict[str, str]]) -> str:
        """One chat completion, retried with exponential backoff on API errors/timeouts."""
        settings = self.settings
        delay = settings.backoff_s
        last_error = "no attempt"
        for attempt in range(settings.api_retries + 1):
            if attempt:
                await asyncio.sleep(delay)
                delay *= 2
            self.stats.llm_calls += 1
            try:
                response = await asyncio.wait_for(
                    self._client.chat.completions.create(
                        model=settings.model,
                        messages=messages,
                        temperature=settings.temperature,
                        max_tokens=settings.max_tokens,
                        extra_headers=self._extra_headers,
                    ),
                    timeout=settings.timeout_s,
                )
            except Exception as error:  # any API failure or timeout: retried, then fallback
                self.stats.api_errors += 1
                last_error = self._redacted(f"{type(error).__name__}: {error}")[:300]
                if self.monitor is not None and _hopeless(error):
                    self.monitor.hopeless_attempt(last_error)  # may raise EndpointDown
                continue
            usage = getattr(response, "usage", None)
            if usage is not None:
                self.stats.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
                self.stats.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
            try:
                return response.choices[0].message.content or ""
            except (AttributeError, IndexError, TypeError):
                self.stats.api_errors += 1
                last_error = "response without choices"
        raise _ApiFailure(last_error)
