"""The ``/web`` page: our Playground, the embedded play view and the README (transport only).

openenv 0.10's generated Playground reads an object field such as ``buy_quantities`` only as
strict JSON, shares one environment between all visitors, and its Quick Start and README
accordion know nothing of this project's layout. ``gradio_builder`` (given to ``create_app``
with ``show_default_tab=False``) replaces it with three tabs:

- **Playground**: each browser tab plays its own episode; an amount field takes
  ``{"groceries": 10}``, ``groceries: 10``, ``groceries=10, toys=3`` or one pair per line;
  a bad value is answered with the simulator's message and changes nothing. Above it, a Quick
  Start with the real names (``client.InventoryEnv``, ``models.InventoryAction``).
- **Play an episode**: the play view (``/play``) in an iframe whose height follows the window,
  so it fits a phone as well as a desktop.
- **README**: the README without its Space front matter, tables intact (Markdown rendering).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models import InventoryAction
from server.constants import DELIVERY_METHODS, REWARD_MODES, TASK_NAMES
from server.grader import scenario_baselines
from server.inventory_env import EpisodeStateError, InventoryEnvironment

README = Path(__file__).resolve().parent.parent / "README.md"
AMOUNT_FIELDS = ("buy_quantities", "liquidate", "price_multipliers")
_PAIR = re.compile(r"^\s*([A-Za-z_]+)\s*[:=]\s*(\S+)\s*$")

QUICK_START = """### Connect from Python

```python
from client import InventoryEnv
from models import InventoryAction

with InventoryEnv(base_url="http://localhost:8000").sync() as env:
    result = env.reset(task_name="easy", seed=7)
    while not result.done:
        action = InventoryAction(buy_quantities={"groceries": 10}, delivery_method="fast")
        result = env.step(action)
    print(result.observation.total_profit)
```

Run from a clone of the repository (`client.py` and `models.py` are at its root); on a Space,
use the Space's URL as `base_url`. Over plain HTTP: `curl -X POST <url>/reset`, then
`curl -X POST <url>/step -H 'Content-Type: application/json'
-d '{"action": {"buy_quantities": {"groceries": 10}}}'`.
"""


def readme_body(text: str) -> str:
    """The README without the Hugging Face Space front matter (``---`` ... ``---``)."""
    return re.sub(r"\A---\r?\n.*?\r?\n---\r?\n", "", text, count=1, flags=re.S).lstrip()


def parse_amounts(field: str, text: str | None) -> Any:
    """A Playground amount field as the action takes it.

    Empty means none; JSON is taken as is (so a wrong type gets the simulator's message);
    otherwise ``product: amount`` pairs separated by commas or new lines, amounts as numbers.
    """
    text = (text or "").strip()
    if not text:
        return {}
    if text[0] in '{["' or text[0].isdigit() or text in ("null", "true", "false"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{field}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    amounts: dict[str, Any] = {}
    for part in re.split(r"[,\n;]", text):
        if not part.strip():
            continue
        match = _PAIR.match(part)
        if match is None:
            raise ValueError(
                f"{field}: cannot read {part.strip()!r}; write product: amount, "
                'e.g. groceries: 10, toys: 3 (or JSON: {"groceries": 10})'
            )
        product, amount = match.groups()
        try:
            amounts[product] = json.loads(amount)
        except json.JSONDecodeError:
            raise ValueError(f"{field}: {product}'s amount {amount!r} is not a number") from None
    return amounts


def build_action(
    buy: str | None, method: str | None, liquidate: str | None, prices: str | None
) -> InventoryAction:
    """The action the Playground's fields describe; ``ValueError`` naming what is wrong."""
    fields = {
        "buy_quantities": parse_amounts("buy_quantities", buy),
        "delivery_method": method or "slow",
        "liquidate": parse_amounts("liquidate", liquidate),
        "price_multipliers": parse_amounts("price_multipliers", prices),
    }
    try:
        return InventoryAction.model_validate(fields)
    except ValidationError as exc:
        raise ValueError("; ".join(str(e["msg"]) for e in exc.errors())) from None


def summary(observation: Any) -> str:
    """A few lines a person reads first: day, cash, profit, reward, what went wrong."""
    lines = [
        f"**Day {observation.current_day}** of task `{observation.task_name}` — "
        f"cash ${observation.total_cash:,.2f}, profit ${observation.total_profit:,.2f}, "
        f"reward {observation.reward:.3f}"
        + (" — **the month is over**" if observation.done else "")
    ]
    for shipment in observation.updated_deliveries or []:
        lines.append(
            f"- on the way: {shipment.get('quantity')} {shipment.get('product')} "
            f"({shipment.get('method')}, ordered on day {shipment.get('ordered_day')})"
        )
    for rejected in observation.rejected_orders or []:
        lines.append(f"- rejected: {rejected}")
    for note in observation.notes or []:
        lines.append(f"- {note}")
    return "\n".join(lines)


def _frame(observation: Any) -> dict[str, Any]:
    return observation.model_dump(mode="json", exclude={"metadata"})


def gradio_builder(
    web_manager: Any,
    action_fields: list[dict[str, Any]],
    metadata: Any,
    is_chat_env: bool,
    title: str,
    quick_start_md: str | None,
) -> Any:
    """The whole ``/web`` page (signature of ``create_app(gradio_builder=...)``; openenv's
    arguments are unused: each visitor gets an environment of their own)."""
    import gradio as gr

    readme = readme_body(README.read_text(encoding="utf-8")) if README.exists() else ""

    def reset(task: str, seed: float | None, mode: str, env: Any) -> tuple[Any, str, Any]:
        if not isinstance(env, InventoryEnvironment):
            env = InventoryEnvironment(baselines=scenario_baselines)
        try:
            observation = env.reset(
                task_name=task, seed=None if seed is None else int(seed), reward_mode=mode
            )
        except ValueError as exc:
            return env, f"**Not started:** {exc}", gr.update()
        return env, summary(observation), _frame(observation)

    def step(buy: str, method: str, liquidate: str, prices: str, env: Any) -> tuple[str, Any]:
        if not isinstance(env, InventoryEnvironment) or env.state.episode_id is None:
            return "**Start an episode first** (Reset).", gr.update()
        try:
            observation = env.step(build_action(buy, method, liquidate, prices))
        except (ValueError, EpisodeStateError) as exc:
            return f"**Refused, nothing changed:** {exc}", gr.update()
        return summary(observation), _frame(observation)

    with gr.Blocks(title=title) as blocks:
        gr.Markdown(f"# {title}")
        with gr.Tabs():
            with gr.Tab("Playground", elem_id="playground-tab"):
                env_state = gr.State(None)
                with gr.Accordion("Quick Start", open=False):
                    gr.Markdown(QUICK_START, elem_id="quick-start")
                with gr.Row():
                    task = gr.Dropdown(list(TASK_NAMES), value="easy", label="task_name")
                    seed = gr.Number(label="seed (empty: the task's default)", precision=0)
                    mode = gr.Dropdown(list(REWARD_MODES), value="shaped", label="reward_mode")
                reset_button = gr.Button("Reset", variant="secondary", elem_id="pg-reset")
                buy = gr.Textbox(
                    label="buy_quantities",
                    placeholder='groceries: 10, toys: 3   or   {"groceries": 10}',
                    elem_id="pg-buy",
                )
                method = gr.Dropdown(list(DELIVERY_METHODS), value="slow", label="delivery_method")
                liquidate = gr.Textbox(
                    label="liquidate", placeholder="groceries: 5", elem_id="pg-liquidate"
                )
                prices = gr.Textbox(
                    label="price_multipliers (0.5 to 1.5)",
                    placeholder="toys: 1.2, clothing: 0.9",
                    elem_id="pg-prices",
                )
                step_button = gr.Button(
                    "Step (simulate one day)", variant="primary", elem_id="pg-step"
                )
                status = gr.Markdown("Press Reset to start an episode.", elem_id="pg-status")
                observation = gr.JSON(label="observation", elem_id="pg-observation")
                reset_button.click(
                    reset, [task, seed, mode, env_state], [env_state, status, observation]
                )
                step_button.click(
                    step, [buy, method, liquidate, prices, env_state], [status, observation]
                )
            with gr.Tab("Play an episode", elem_id="play-tab"):
                gr.HTML(
                    "<p>Charts of stock, cash, demand and profit, day by day. "
                    '<a href="../play" target="_blank" rel="noopener">Open the play view '
                    "in a new tab</a>.</p>"
                    '<iframe src="../play" title="Inventory play view" id="play-frame" '
                    'style="width:100%;height:calc(100vh - 160px);min-height:560px;'
                    'border:1px solid #d0d7de;border-radius:8px"></iframe>'
                )
            with gr.Tab("README", elem_id="readme-tab"):
                gr.Markdown(readme or "No README in this installation.", elem_id="readme")
    return blocks
