"""What a language model reads in a tool-calling episode: the opening text and each day's report.

The rules and products come from ``llm_agent.system_prompt`` (one wording for every LLM
agent of the project); only its "answer with one JSON object" paragraph is replaced by how
the tools work, because here the model acts through tool calls instead.
"""

from __future__ import annotations

from models import InventoryObservation
from server.constants import EPISODE_DAYS
from server.llm_agent import observation_message, system_prompt

TOOL_INSTRUCTIONS = f"""You act through tools. Each day, first decide with `order`, \
`set_shipping`, `set_price` and `liquidate` (each may be called for several products, or not \
at all), then call `end_day` to simulate the day with those decisions. Decisions apply to that \
day only: prices go back to 1.0x and nothing is re-ordered unless you call the tools again. The \
month has {EPISODE_DAYS} days, so play {EPISODE_DAYS} `end_day` calls."""

_JSON_PARAGRAPH_START = "Each day, answer with ONE JSON object"
_RULES_START = "Rules:"
_JSON_PROMPT_LINE = "Your action (one JSON object):"


def rules_text(task_name: str) -> str:
    """The task's rules and products, with the tool instructions instead of the JSON format."""
    prompt = system_prompt(task_name)
    start = prompt.index(_JSON_PARAGRAPH_START)
    end = prompt.index(_RULES_START, start)
    return prompt[:start] + TOOL_INSTRUCTIONS + "\n\n" + prompt[end:]


def day_report(observation: InventoryObservation) -> str:
    """The observation as text (its notes tell rejected orders), ending with what to do next."""
    lines = observation_message(observation).splitlines()
    if lines and lines[-1] == _JSON_PROMPT_LINE:
        lines.pop()
    if observation.done:
        lines.append(f"The month is over. Final profit ${observation.total_profit:.2f}.")
    else:
        lines.append("Decide today's orders, shipping, prices and liquidation, then call end_day.")
    return "\n".join(lines)


def opening_text(task_name: str, observation: InventoryObservation) -> str:
    """The whole opening of an episode: the rules, then day 0."""
    return rules_text(task_name) + "\n\n" + day_report(observation)
