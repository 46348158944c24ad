"""``inference.py`` end to end against a real environment server and a fake OpenAI-compatible
endpoint (``tests/fake_llm.py``), plus the reply parser and the prompt pieces.

Each scenario runs the real script as a subprocess on all three tasks; the runs go
concurrently to keep the suite fast.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import inference
from episode_trace import read_traces
from inference import parse_seeds
from server.agents import make_agent
from server.constants import EPISODE_DAYS, TASK_NAMES
from server.in_process_episode import run_episode
from server.inventory_env import InventoryEnvironment
from server.llm_agent import (
    HISTORY_DAYS,
    LLMAgent,
    LLMSettings,
    ReplyError,
    observation_message,
    parse_action,
    system_prompt,
)
from tests.fake_llm import RETRY_MARKER, VALID_ACTION, FakeLLM

ROOT = Path(__file__).resolve().parent.parent
DAY_LINE = re.compile(rf"^Day (\d+) of {EPISODE_DAYS}\b")
RUN_TIMEOUT_S = 240


# --------------------------------------------------------------------------- parser
def test_parser_reads_plain_fenced_and_thinking_replies() -> None:
    expected = parse_action(json.dumps(VALID_ACTION))
    assert expected.buy_quantities == {"groceries": 12, "toys": 3}
    fenced = f"Sure.\n```json\n{json.dumps(VALID_ACTION, indent=2)}\n```\nGood luck!"
    thinking = (
        '<think>Stock is {low}; maybe {"buy": 1}? Hmm.</think>\n'
        f"```\n{json.dumps(VALID_ACTION)}\n```"
    )
    wrapped = json.dumps({"action": VALID_ACTION})
    truncated_think = f"plan: {{draft}}</think>{json.dumps(VALID_ACTION)}"
    for reply in (fenced, thinking, wrapped, truncated_think):
        assert parse_action(reply) == expected
    assert parse_action("{}") == parse_action('Nothing today: {"buy_quantities": {}}')


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ("", "empty"),
        ("I would restock groceries.", "no JSON object"),
        ('{"buy_quantities": {"groceries": 10}', "no JSON object"),  # unbalanced
        ('{"price_multipliers": {"toys": 9.0}}', "price_multipliers"),
        ('{"buy_quantities": {"gadgets": 1}}', "unknown product 'gadgets'"),
        ('{"buy_quantities": {"toys": 2.5}}', "whole number"),
        ('{"delivery_method": "drone"}', "delivery_method"),
        ('{"buy": {"toys": 1}}', "buy"),  # unknown field
        ("[1, 2, 3]", "no JSON object"),
    ],
)
def test_parser_rejects_invalid_replies_naming_the_problem(reply: str, message: str) -> None:
    with pytest.raises(ReplyError, match=re.escape(message)):
        parse_action(reply)


def test_prompts_state_the_rules_and_the_day() -> None:
    medium = system_prompt("medium")
    assert "black_friday (day 6)" in medium and "fast $10/unit arriving after 1 day" in medium
    assert "- none" in system_prompt("easy")
    env = InventoryEnvironment()
    observation = env.reset(task_name="hard")
    observation = env.step(make_agent("heuristic").act(observation))
    text = observation_message(observation)
    assert DAY_LINE.match(text) and "Cash $" in text and "Yesterday: demand" in text


def test_seed_lists() -> None:
    assert parse_seeds(None) == list(range(10))  # the protocol's default seeds
    assert parse_seeds("0-3,7,default") == [0, 1, 2, 3, 7, None]
    assert parse_seeds("0-4,12,3") == [0, 1, 2, 3, 4, 12]


# --------------------------------------------------------------------------- end to end
SCENARIOS: dict[str, dict[str, object]] = {
    # model (fake server mode) -> expected per-episode counts
    "valid": {"fallbacks": 0, "retries": 0, "llm_calls": EPISODE_DAYS},
    "think": {"fallbacks": 0, "retries": 0, "llm_calls": EPISODE_DAYS},
    "junk": {"fallbacks": EPISODE_DAYS, "fallbacks_invalid_reply": EPISODE_DAYS,
             "retries": EPISODE_DAYS, "llm_calls": 2 * EPISODE_DAYS},
    "error500": {"fallbacks": EPISODE_DAYS, "fallbacks_api_error": EPISODE_DAYS,
                 "llm_calls": 3 * EPISODE_DAYS},
    "slow": {"fallbacks": EPISODE_DAYS, "fallbacks_api_error": EPISODE_DAYS,
             "llm_calls": EPISODE_DAYS},
}  # fmt: skip
ALL_HEURISTIC = ("junk", "error500", "slow")
"""Scenarios where every day falls back: the run must earn exactly the heuristic's profit."""
KEEP_GOING = ("error500", "slow")
"""The endpoint fails every day: without --keep-going these runs would stop (tested below)."""
FALLBACK_CAUSES = {
    "junk": "invalid reply: no JSON object found",
    "error500": "API failure: InternalServerError",
    "slow": r"API failure: \w*TimeoutError",
}


def _inference(args: list[str], extra_env: dict[str, str]) -> subprocess.Popen[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("API_BASE_URL", "MODEL_NAME", "HF_TOKEN", "API_KEY", "ENV_URL")
    }
    env.update(extra_env)
    return subprocess.Popen(
        [sys.executable, str(ROOT / "inference.py"), "--no-dotenv", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return process.returncode, out, err


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def heuristic_profits() -> dict[str, float]:
    return {task: run_episode(make_agent("heuristic"), task).profit for task in TASK_NAMES}


@pytest.fixture(scope="module")
def llm_runs(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every scenario's run of ``inference.py`` (all three tasks each), run concurrently."""
    out_dir = tmp_path_factory.mktemp("inference")
    with FakeLLM() as fake:
        processes = {}
        for model in SCENARIOS:
            timeout = "0.1" if model == "slow" else "5"
            retries = "0" if model == "slow" else "2"
            processes[model] = _inference(
                [
                    "--env-url", server_url, "--concurrency", "3", "--no-grade",
                    "--seeds", "default", "--output", str(out_dir / f"{model}.jsonl"),
                    "--llm-timeout", timeout, "--llm-retries", retries, "--llm-backoff", "0.01",
                    *(["--keep-going"] if model in KEEP_GOING else []),
                ],
                {"API_BASE_URL": fake.base_url, "MODEL_NAME": model, "API_KEY": "test-key"},
            )  # fmt: skip
        results = {model: _finish(process) for model, process in processes.items()}
        requests = {model: list(fake.requests.get(model, [])) for model in SCENARIOS}
    rows = {}
    for model, (code, out, err) in results.items():
        assert code == 0, f"{model}: exit {code}\n{out}\n{err[-3000:]}"
        rows[model] = _rows(out_dir / f"{model}.jsonl")
    return {"rows": rows, "requests": requests, "results": results}


@pytest.mark.parametrize("model", list(SCENARIOS))
def test_every_llm_scenario_completes_all_tasks_with_the_right_fallbacks(
    model: str, llm_runs: dict, heuristic_profits: dict[str, float]
) -> None:
    rows = llm_runs["rows"][model]
    assert sorted(row["task_name"] for row in rows) == sorted(TASK_NAMES)
    for row in rows:
        assert row["error"] is None and row["days"] == EPISODE_DAYS
        assert row["agent"] == "llm" and row["model"] == model
        assert row["profit"] is not None
        for key, value in SCENARIOS[model].items():
            assert row[key] == value, f"{model}/{row['task_name']}: {key}={row[key]}"
        if model in ALL_HEURISTIC:
            assert row["profit"] == pytest.approx(heuristic_profits[row["task_name"]])
            assert row["notes"], "the reason for the fallbacks is recorded"
        if model in ("valid", "think"):
            assert row["total_tokens"] > 0 and row["prompt_tokens"] > 0
    _, out, err = llm_runs["results"][model]
    assert "easy" in out and "hard" in out  # the results table
    assert "[3/3]" in err  # progress display
    if model in FALLBACK_CAUSES:  # every fallback's cause, counted, in the terminal summary
        assert f"LLM fallbacks to the heuristic: {3 * EPISODE_DAYS}, by cause:" in out
        assert re.search(rf"^\s+{3 * EPISODE_DAYS} x {FALLBACK_CAUSES[model]}", out, re.M), out
    else:
        assert "LLM fallbacks" not in out


def test_history_never_holds_more_than_seven_days(llm_runs: dict) -> None:
    for model in ("valid", "junk"):
        requests = llm_runs["requests"][model]
        assert requests, f"{model}: no request reached the fake LLM"
        full_windows = 0
        for messages in requests:
            assert messages[0]["role"] == "system"
            days = [
                int(m.group(1))
                for msg in messages
                if msg["role"] == "user" and (m := DAY_LINE.match(msg["content"]))
            ]
            today, past = days[-1], days[:-1]
            assert len(past) <= HISTORY_DAYS
            assert past == list(range(today - len(past), today)), "the most recent days, in order"
            full_windows += len(past) == HISTORY_DAYS
            if messages[-1]["content"].startswith(RETRY_MARKER):
                assert "no JSON object" in messages[-1]["content"]  # the reason is quoted
        assert full_windows > 0, "the window of past days was never filled"


def test_without_llm_or_server_it_starts_its_own_and_runs_the_heuristic(
    tmp_path: Path,
    heuristic_profits: dict[str, float],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("API_BASE_URL", "MODEL_NAME", "HF_TOKEN", "API_KEY", "ENV_URL"):
        monkeypatch.delenv(name, raising=False)
    output = tmp_path / "run.json"
    code = inference.main(["--no-dotenv", "--tasks", "easy,hard", "--seeds", "default",
                           "--no-grade", "--output", str(output)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err[-3000:]
    assert "No LLM configured" in err and "heuristic" in err and "Starting" in err
    episodes = json.loads(output.read_text())["episodes"]
    assert [e["task_name"] for e in episodes] == ["easy", "hard"]
    for episode in episodes:
        assert episode["agent"] == "heuristic"
        # Over WebSocket the heuristic sees only observations: same profit as in process.
        assert episode["profit"] == pytest.approx(heuristic_profits[episode["task_name"]])


def test_asking_for_the_llm_without_one_configured_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("API_BASE_URL", raising=False)
    monkeypatch.delenv("MODEL_NAME", raising=False)
    with pytest.raises(SystemExit) as stopped:
        inference.main(["--no-dotenv", "--agent", "llm", "--tasks", "easy"])
    assert stopped.value.code == 2 and "API_BASE_URL" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"MODEL_NAME": "gpt-4o"}, "MODEL_NAME is set ('gpt-4o') but API_BASE_URL is not"),
        ({"API_BASE_URL": "http://127.0.0.1:9/v1"}, "but MODEL_NAME is not"),
        ({"API_BASE_URL": "localhost:8000", "MODEL_NAME": "m"}, "must start with http"),
        ({"API_BASE_URL": "http://x/v1", "MODEL_NAME": "m", "LLM_STOP_AFTER": "0"},
         "LLM_STOP_AFTER must be at least 1"),
    ],
)  # fmt: skip
def test_half_an_llm_configuration_says_what_is_missing(
    variables: dict[str, str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("API_BASE_URL", "MODEL_NAME", "HF_TOKEN", "API_KEY", "LLM_STOP_AFTER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        inference.main(["--no-dotenv", "--tasks", "easy"])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_help_is_fast_and_names_the_llm_variables() -> None:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(ROOT / "inference.py"), "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("API_BASE_URL", "MODEL_NAME", "HF_TOKEN", "API_KEY", "LLM_STOP_AFTER",
                 "--keep-going", "--trace", "--json", "--num-seeds"):  # fmt: skip
        assert name in done.stdout, name
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines()}
    for heavy in ("openai", "openenv", "fastapi", "httpx", "numpy", "gradio", "client"):
        assert heavy not in imported, f"--help imports {heavy}"
    assert elapsed < 30, elapsed  # a few tenths of a second on an idle machine


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/v1"  # nothing listens once closed


def test_a_dead_endpoint_stops_the_run_within_seconds_with_the_cause(server_url: str) -> None:
    """Default tasks and seeds (90 LLM episodes) against a closed port: it stops after three
    refused connections with the cause and exit status 3, instead of playing 90 months of
    heuristic days."""
    started = time.monotonic()
    code, out, err = _finish(
        _inference(
            ["--env-url", server_url, "--llm-backoff", "0.5", "--concurrency", "3"],
            {"API_BASE_URL": _closed_port_url(), "MODEL_NAME": "any"},
        )
    )
    elapsed = time.monotonic() - started
    assert code == inference.EXIT_ENDPOINT_DOWN, (code, out, err[-2000:])
    stop = re.search(r"Stopped after ([\d.]+) s of play: the LLM endpoint failed 3 times in a "
                     r"row: APIConnectionError", err)  # fmt: skip
    assert stop, err[-2000:]
    assert float(stop.group(1)) < 10  # 0.5 + 1 s of backoff, then it stops
    assert "--keep-going" in err and "(no API key sent)" in err
    assert elapsed < 180, elapsed  # the rest is start-up (imports) on a loaded machine
    assert "No episode finished" in out


def test_an_endpoint_failing_every_day_stops_after_three_days(server_url: str) -> None:
    with FakeLLM() as fake:
        code, out, err = _finish(
            _inference(
                [
                    "--env-url",
                    server_url,
                    "--tasks",
                    "easy",
                    "--seeds",
                    "0",
                    "--llm-retries",
                    "0",
                    "--no-grade",
                ],
                {"API_BASE_URL": fake.base_url, "MODEL_NAME": "error500", "LLM_STOP_AFTER": "3"},
            )  # fmt: skip
        )
        calls = len(fake.requests["error500"])
    assert code == inference.EXIT_ENDPOINT_DOWN, (code, out, err[-2000:])
    assert "failed 3 times in a row: API failure: InternalServerError" in err
    assert re.search(r"Stopped after [\d.]+ s of play", err)
    assert calls == 3  # one request per day, three days, then the run stopped
    assert "LLM fallbacks to the heuristic: 3, by cause:" in out


def test_without_a_key_no_authorization_header_is_sent() -> None:
    with FakeLLM() as fake:
        settings = LLMSettings(base_url=fake.base_url, model="valid", api_key=None)
        keyed = LLMSettings(base_url=fake.base_url, model="valid", api_key="sk-test")
        for chosen in (settings, keyed):
            env = InventoryEnvironment()
            observation = env.reset(task_name="easy")
            asyncio.run(LLMAgent(chosen).act(observation))
    assert fake.auth_headers == [None, "Bearer sk-test"]


def test_the_protocol_plays_ten_seeds_per_task_and_writes_results_and_traces(
    server_url: str, tmp_path: Path
) -> None:
    """The default protocol with the heuristic: 10 seeds x 3 tasks, the results document
    (inventory-eval/1) and one trace block per episode, profits equal to in-process play."""
    results, trace = tmp_path / "results.json", tmp_path / "trace.jsonl"
    code, out, err = _finish(
        _inference(
            [
                "--env-url",
                server_url,
                "--agent",
                "heuristic",
                "--concurrency",
                "4",
                "--no-grade",
                "--json",
                str(results),
                "--trace",
                str(trace),
            ],
            {},
        )  # fmt: skip
    )
    assert code == 0, err[-3000:]
    document = json.loads(results.read_text())
    assert document["schema"] == "inventory-eval/1"
    assert document["agents"] == ["heuristic"] and document["tasks"] == list(TASK_NAMES)
    assert document["seeds"] == {task: list(range(10)) for task in TASK_NAMES}
    assert len(document["episodes"]) == 30
    for summary in document["summaries"]:
        assert summary["profit"]["n"] == 10 and summary["profit"]["low"] is not None
    episodes = read_traces(trace)
    assert len(episodes) == 30
    for episode in episodes:
        assert len(episode["steps"]) == EPISODE_DAYS and episode["footer"]["error"] is None
    played = {(e["task"], e["seed"]): e["profit"] for e in document["episodes"]}
    for task in TASK_NAMES:
        expected = run_episode(make_agent("heuristic"), task, 7).profit
        assert played[(task, 7)] == pytest.approx(expected)
    traced = next(e for e in episodes if e["header"]["task"] == "hard" and e["header"]["seed"] == 7)
    assert traced["footer"]["profit"] == pytest.approx(played[("hard", 7)])


def test_graded_agents_get_intervals_and_paired_differences(
    server_url: str, tmp_path: Path
) -> None:
    results = tmp_path / "results.json"
    code, out, err = _finish(
        _inference(
            [
                "--env-url",
                server_url,
                "--agent",
                "heuristic,passive",
                "--tasks",
                "easy",
                "--seeds",
                "0-1",
                "--json",
                str(results),
            ],
            {},
        )  # fmt: skip
    )
    assert code == 0, err[-3000:]
    document = json.loads(results.read_text())
    summary = {s["agent"]: s["score"] for s in document["summaries"]}
    assert summary["passive"]["mean"] == 0.0 and summary["passive"]["n"] == 2
    heuristic = [e["score"] for e in document["episodes"] if e["agent"] == "heuristic"]
    assert summary["heuristic"]["mean"] == pytest.approx(sum(heuristic) / 2)
    (pair,) = document["paired_differences"]
    assert pair["agent"] == "passive" and pair["baseline"] == "heuristic"
    assert pair["score_difference"]["mean"] == pytest.approx(-summary["heuristic"]["mean"])
    assert "| easy |" in out and "passive − heuristic" in out
    for episode in document["episodes"]:
        # Graded by the session's episode_id: the server scored the profit it booked itself.
        assert episode["episode_id"] and episode["verified"] is True


# --------------------------------------------------------------------------- in process
def _play_llm(model: str, fake: FakeLLM, task: str = "medium") -> LLMAgent:
    """One episode in process with the LLM agent against the fake endpoint."""
    settings = LLMSettings(base_url=fake.base_url, model=model, api_key="k", timeout_s=5,
                           api_retries=2, backoff_s=0.001)  # fmt: skip
    agent = LLMAgent(settings)

    async def play() -> None:
        env = InventoryEnvironment()
        observation = env.reset(task_name=task)
        agent.reset(task)
        while not observation.done:
            observation = env.step(await agent.act(observation))

    asyncio.run(play())
    return agent


def test_an_invalid_reply_is_retried_once_with_the_validation_error() -> None:
    with FakeLLM() as fake:
        agent = _play_llm("fixable", fake)
        requests = fake.requests["fixable"]
    assert agent.stats.retries == EPISODE_DAYS and agent.stats.fallbacks == 0
    assert agent.stats.llm_calls == 2 * EPISODE_DAYS == len(requests)
    retries = [r for r in requests if r[-1]["content"].startswith(RETRY_MARKER)]
    assert len(retries) == EPISODE_DAYS
    for retry in retries:
        assert "price_multipliers" in retry[-1]["content"] and "1.5" in retry[-1]["content"]
        assert retry[-2]["role"] == "assistant" and "9.0" in retry[-2]["content"]


def test_api_errors_are_retried_with_backoff_before_any_fallback() -> None:
    with FakeLLM() as fake:
        agent = _play_llm("flaky", fake)
    assert agent.stats.fallbacks == 0
    assert agent.stats.api_errors == EPISODE_DAYS
    assert agent.stats.llm_calls == 2 * EPISODE_DAYS
