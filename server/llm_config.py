"""Which LLM endpoint to use, said precisely, and when to stop asking a dead one.

* ``llm_config_from_env`` reads ``API_BASE_URL``, ``MODEL_NAME`` and ``HF_TOKEN`` or
  ``API_KEY``. Half a configuration is an error that names what is missing (``MODEL_NAME``
  set but no ``API_BASE_URL``); no key at all is allowed (a local server) and then no
  ``Authorization`` header is sent, rather than a made-up key.
* ``FailureMonitor`` watches the reason of every fallback. The same reason several times in a
  row (an endpoint that refuses connections, a wrong key, an unknown model) raises
  ``EndpointDown`` so a run stops in seconds with the cause instead of playing a whole month
  of heuristic days and reporting them as the model's.

No third-party imports: ``inference.py --help`` stays fast.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

URL_VARIABLE = "API_BASE_URL"
MODEL_VARIABLE = "MODEL_NAME"
KEY_VARIABLES = ("HF_TOKEN", "API_KEY")
STOP_AFTER_VARIABLE = "LLM_STOP_AFTER"
DEFAULT_STOP_AFTER = 3
"""The same failure this many times in a row stops the run (``LLM_STOP_AFTER``)."""

ENVIRONMENT_HELP = f"""LLM endpoint (environment or a .env file):
  {URL_VARIABLE}   OpenAI-compatible base URL, e.g. https://router.huggingface.co/v1
  {MODEL_VARIABLE}     model name, e.g. Qwen/Qwen3-32B
  HF_TOKEN, API_KEY  the key (HF_TOKEN wins); leave both unset for a server without keys
  {STOP_AFTER_VARIABLE}  stop after the same LLM failure this many times in a row \
(default {DEFAULT_STOP_AFTER})
  ENV_URL        an environment server to use instead of starting one
With neither API_BASE_URL nor MODEL_NAME set, the built-in heuristic agent plays."""


class LLMConfigError(ValueError):
    """Half an LLM configuration; the message names what is missing."""


@dataclass(frozen=True)
class LLMEndpoint:
    """Where the model is and how to authenticate (``api_key`` None: send no key)."""

    base_url: str
    model: str
    api_key: str | None
    key_variable: str | None
    """Which variable the key came from, for messages (never the key itself)."""

    def describe(self) -> str:
        key = f"key from {self.key_variable}" if self.key_variable else "no API key sent"
        return f"model {self.model} at {self.base_url} ({key})"


def llm_config_from_env(environ: Mapping[str, str]) -> LLMEndpoint | None:
    """The configured endpoint; ``None`` when neither URL nor model is set.

    Raises ``LLMConfigError`` when only one of them is set, saying which one is missing.
    """
    base_url = environ.get(URL_VARIABLE, "").strip()
    model = environ.get(MODEL_VARIABLE, "").strip()
    if not base_url and not model:
        return None
    if not base_url:
        raise LLMConfigError(
            f"{MODEL_VARIABLE} is set ({model!r}) but {URL_VARIABLE} is not: set {URL_VARIABLE} "
            "to the endpoint's OpenAI-compatible base URL (e.g. https://router.huggingface.co/v1)"
        )
    if not model:
        raise LLMConfigError(
            f"{URL_VARIABLE} is set ({base_url}) but {MODEL_VARIABLE} is not: "
            f"set {MODEL_VARIABLE} to the model to ask (e.g. Qwen/Qwen3-32B)"
        )
    if not re.match(r"^https?://", base_url):
        raise LLMConfigError(
            f"{URL_VARIABLE} must start with http:// or https://, got {base_url!r}"
        )
    for variable in KEY_VARIABLES:
        key = environ.get(variable, "").strip()
        if key:
            return LLMEndpoint(base_url, model, key, variable)
    return LLMEndpoint(base_url, model, None, None)


def stop_after_from_env(environ: Mapping[str, str]) -> int:
    """``LLM_STOP_AFTER`` as a positive integer (default 3)."""
    text = environ.get(STOP_AFTER_VARIABLE, "").strip()
    if not text:
        return DEFAULT_STOP_AFTER
    try:
        value = int(text)
    except ValueError:
        raise LLMConfigError(
            f"{STOP_AFTER_VARIABLE} must be a whole number, got {text!r}"
        ) from None
    if value < 1:
        raise LLMConfigError(f"{STOP_AFTER_VARIABLE} must be at least 1, got {value}")
    return value


# --------------------------------------------------------------------------- failures
class EndpointDown(RuntimeError):
    """The LLM endpoint failed the same way too many times in a row: stop the run."""

    def __init__(self, cause: str, times: int) -> None:
        super().__init__(f"the LLM endpoint failed {times} times in a row: {cause}")
        self.cause = cause
        self.times = times


_NUMBERS = re.compile(r"\b(day \d+|\d+(\.\d+)?s)\b")


def failure_cause(detail: str) -> str:
    """A fallback's reason without what changes from day to day (so repeats compare equal)."""
    text = _NUMBERS.sub("", detail)
    text = re.sub(r"request_id[^,}]*", "", text)
    return re.sub(r"\s+", " ", text).strip(" :;,.")[:200]


class FailureMonitor:
    """Counts every fallback's cause and stops a run against a dead endpoint.

    Two streaks, each reset by any answer from the endpoint (``success``):

    * ``hopeless_attempt``: a request that retrying cannot fix (connection refused, 401, 403,
      404). ``stop_after`` of them in a row with the same cause raise ``EndpointDown``: a run
      against a closed port stops within seconds, before the day's retries are used up.
    * ``fallback``: a day that fell back to the heuristic. ``stop_after`` API-failure
      fallbacks in a row with the same cause (500s, timeouts) raise ``EndpointDown``; invalid
      replies are the model's own doing and are only counted.

    ``stop_after=None`` (``--keep-going``) never stops; causes are still counted.
    """

    def __init__(self, stop_after: int | None = DEFAULT_STOP_AFTER) -> None:
        self.stop_after = stop_after
        self.causes: Counter[str] = Counter()
        self._streaks: dict[str, tuple[str | None, int]] = {}

    def success(self) -> None:
        self._streaks.clear()

    def hopeless_attempt(self, detail: str) -> None:
        self._extend("attempt", failure_cause(detail))

    def fallback(self, detail: str, endpoint_failed: bool) -> None:
        """Record one fallback day; raise ``EndpointDown`` when the streak is long enough."""
        cause = failure_cause(detail)
        self.causes[cause] += 1
        if endpoint_failed:
            self._extend("fallback", cause)

    def _extend(self, kind: str, cause: str) -> None:
        last, count = self._streaks.get(kind, (None, 0))
        count = count + 1 if cause == last else 1
        self._streaks[kind] = (cause, count)
        if self.stop_after is not None and count >= self.stop_after:
            raise EndpointDown(cause, count)

    @property
    def fallbacks(self) -> int:
        return sum(self.causes.values())

    def summary_lines(self) -> list[str]:
        """One line per distinct cause, most frequent first."""
        return [f"{count:>5} x {cause}" for cause, count in self.causes.most_common()]
