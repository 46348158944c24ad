"""Play the inventory environment over WebSocket with an LLM (or a built-in agent) and score it.

    python inference.py                         # all three tasks, default seeds
    python inference.py --tasks hard --seeds 0-4 --concurrency 5 --output runs.jsonl
    python inference.py --agent heuristic --env-url http://localhost:8000

The LLM is any OpenAI-compatible endpoint: ``API_BASE_URL``, ``MODEL_NAME`` and ``HF_TOKEN``
or ``API_KEY``, from the environment or a ``.env`` file. With no LLM configured the built-in
heuristic plays (and says so). With no ``--env-url`` (or ``ENV_URL``) the script starts the
server itself on a free loopback port and stops it at exit. Scores come from the server's
``POST /grader``. Progress goes to stderr; the results table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from client import InventoryEnv  # noqa: E402
from llm_agent import LLMAgent, LLMSettings, settings_from_env  # noqa: E402
from server.agents import AGENT_NAMES, make_agent  # noqa: E402
from server.constants import EPISODE_DAYS, TASK_NAMES  # noqa: E402
from server.heuristic_agent import HeuristicAgent  # noqa: E402
from server.task_catalog import get_task, task_names, tasks  # noqa: E402

AGENT_CHOICES = ("llm", *AGENT_NAMES)


# --------------------------------------------------------------------------- configuration
def parse_seeds(text: str | None) -> list[int | None]:
    """``None``/``default`` -> the task's default seed; ``0-19``; ``1,5,9``; mixes of both."""
    if text is None or text.strip().lower() in ("", "default"):
        return [None]
    seeds: list[int | None] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if part.lower() == "default":
            seeds.append(None)
        elif "-" in part:
            low, high = (int(x) for x in part.split("-", 1))
            if high < low:
                raise argparse.ArgumentTypeError(f"empty seed range {part!r}")
            seeds.extend(range(low, high + 1))
        else:
            seeds.append(int(part))
    if not seeds:
        raise argparse.ArgumentTypeError(f"no seeds in {text!r}")
    return seeds


def parse_tasks(text: str) -> list[str]:
    tasks = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in tasks if t not in task_names()]
    if unknown or not tasks:
        raise argparse.ArgumentTypeError(
            f"unknown task(s) {', '.join(unknown) or '(none)'}; allowed: {', '.join(task_names())}"
        )
    return tasks


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Play the inventory environment with an LLM or a built-in agent, and score it.",
    )
    parser.add_argument(
        "--tasks",
        type=parse_tasks,
        default=list(TASK_NAMES),
        help="comma-separated tasks (default: easy,medium,hard)",
    )
    parser.add_argument(
        "--seeds", default=None, help="seeds per task: 'default' (each task's), '0-19', '1,5,9'"
    )
    parser.add_argument(
        "--agent",
        choices=AGENT_CHOICES,
        default=None,
        help="llm (default when an LLM is configured), heuristic, random, passive",
    )
    parser.add_argument(
        "--env-url",
        default=os.environ.get("ENV_URL") or None,
        help="environment server (default: ENV_URL, else start one locally)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="write per-episode results: .jsonl (one line each) or .json",
    )
    parser.add_argument(
        "--concurrency", type=int, default=1, help="episodes played at the same time (default 1)"
    )
    parser.add_argument(
        "--llm-timeout",
        type=float,
        default=_env_float("LLM_TIMEOUT", 60.0),
        help="seconds per LLM request (env LLM_TIMEOUT, default 60)",
    )
    parser.add_argument(
        "--llm-retries",
        type=int,
        default=_env_int("LLM_RETRIES", 3),
        help="extra attempts after an API error or timeout (env LLM_RETRIES, 3)",
    )
    parser.add_argument(
        "--llm-backoff",
        type=float,
        default=_env_float("LLM_BACKOFF", 1.0),
        help="first retry delay in seconds, doubling (env LLM_BACKOFF, 1.0)",
    )
    parser.add_argument("--temperature", type=float, default=_env_float("LLM_TEMPERATURE", 0.2))
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=_env_int("LLM_MAX_TOKENS", 1024),
        help="completion token limit per request (env LLM_MAX_TOKENS, 1024)",
    )
    parser.add_argument(
        "--no-grade",
        action="store_true",
        help="skip scoring (the grader's ceiling can take a while per seed)",
    )
    parser.add_argument("--no-dotenv", action="store_true", help="do not read a .env file")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    return parser


def llm_settings(args: argparse.Namespace) -> LLMSettings | None:
    """The configured endpoint, or ``None`` when ``API_BASE_URL`` or ``MODEL_NAME`` is unset."""
    return settings_from_env(
        os.environ,
        timeout_s=args.llm_timeout,
        api_retries=max(0, args.llm_retries),
        backoff_s=max(0.0, args.llm_backoff),
        temperature=args.temperature,
        max_tokens=args.max_tokens,
    )


# --------------------------------------------------------------------------- local server
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def local_server(startup_timeout_s: float = 120.0) -> Iterator[str]:
    """Run ``server.app:app`` under uvicorn on a free loopback port; stop it on exit."""
    port = _free_port()
    log_fd, log_name = tempfile.mkstemp(prefix="inventory-server-", suffix=".log")
    env = {**os.environ, "ENABLE_WEB_INTERFACE": "false", "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "server.app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_fd,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError("the environment server exited:\n" + _tail(log_name))
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the environment server did not start:\n" + _tail(log_name))
            time.sleep(0.1)
        yield url
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        os.close(log_fd)
        Path(log_name).unlink(missing_ok=True)


def _tail(path: str, chars: int = 3000) -> str:
    try:
        return Path(path).read_text(errors="replace")[-chars:]
    except OSError:
        return ""


# --------------------------------------------------------------------------- episodes
@dataclass
class EpisodeRecord:
    """One played episode, as written to ``--output``."""

    task_name: str
    seed: int | None
    agent: str
    model: str | None = None
    profit: float | None = None
    total_reward: float = 0.0
    days: int = 0
    seconds: float = 0.0
    score: float | None = None
    unclamped_score: float | None = None
    floor: float | None = None
    ceiling: float | None = None
    fallbacks: int = 0
    fallbacks_invalid_reply: int = 0
    fallbacks_api_error: int = 0
    retries: int = 0
    invalid_replies: int = 0
    api_errors: int = 0
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)


class Progress:
    """A one-line status on stderr (a line per finished episode when not a terminal)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self.done = 0
        self.days: dict[str, int] = {}
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()

    def day(self, key: str, day: int) -> None:
        self.days[key] = day
        if self.enabled and self.tty:
            running = " ".join(f"{k}:{d}/{EPISODE_DAYS}" for k, d in self.days.items())
            print(
                f"\r[{self.done}/{self.total} done] {running}"[:200].ljust(80),
                end="",
                file=sys.stderr,
                flush=True,
            )

    def finished(self, key: str, record: EpisodeRecord) -> None:
        self.days.pop(key, None)
        self.done += 1
        if not self.enabled:
            return
        profit = "failed" if record.profit is None else f"profit {record.profit:,.2f}"
        extra = f", {record.fallbacks} fallbacks" if record.agent == "llm" else ""
        elapsed = time.monotonic() - self.started
        prefix = "\r" if self.tty else ""
        print(
            f"{prefix}[{self.done}/{self.total}] {key}: {profit}{extra} ({elapsed:.1f}s)".ljust(80),
            file=sys.stderr,
            flush=True,
        )


def _make_player(
    agent_name: str, seed: int | None, settings: LLMSettings | None, config: dict[str, Any]
) -> Any:
    if agent_name == "llm":
        assert settings is not None
        return LLMAgent(settings, task_config=config)
    if agent_name == "heuristic":
        return HeuristicAgent(task_config=config)
    return make_agent(agent_name, seed)


async def play_episode(
    env_url: str,
    task_name: str,
    seed: int | None,
    agent_name: str,
    settings: LLMSettings | None,
    config: dict[str, Any],
    progress: Progress,
) -> EpisodeRecord:
    """One whole episode over WebSocket; failures are recorded, not raised."""
    key = f"{task_name}/{'default' if seed is None else seed}"
    record = EpisodeRecord(
        task_name=task_name,
        seed=seed,
        agent=agent_name,
        model=settings.model if settings and agent_name == "llm" else None,
    )
    player = _make_player(agent_name, seed, settings, config)
    started = time.monotonic()
    try:
        async with InventoryEnv(base_url=env_url, message_timeout_s=120.0) as env:
            result = await env.reset(task_name=task_name, seed=seed)
            player.reset(task_name)
            while not result.done:
                action = player.act(result.observation)
                if inspect.isawaitable(action):
                    action = await action
                result = await env.step(action)
                record.total_reward += float(result.reward or 0.0)
                record.days += 1
                progress.day(key, record.days)
            record.profit = float(result.observation.total_profit)
            state = await env.state()
            record.seed = state.seed
    except Exception as error:  # a broken episode is reported; the others go on
        record.error = f"{type(error).__name__}: {error}"[:500]
    record.seconds = round(time.monotonic() - started, 3)
    stats = getattr(player, "stats", None)
    if stats is not None:
        for name, value in stats.as_dict().items():
            if name == "errors":
                record.notes = value
            elif hasattr(record, name):
                setattr(record, name, value)
    progress.finished(key, record)
    return record


async def grade_records(env_url: str, records: list[EpisodeRecord]) -> None:
    """Fill in scores from the server's ``POST /grader``."""
    async with httpx.AsyncClient(base_url=env_url, timeout=900.0) as http:

        async def grade(record: EpisodeRecord) -> None:
            if record.profit is None:
                return
            body: dict[str, Any] = {"task_name": record.task_name, "agent_profit": record.profit}
            if record.seed is not None:
                body["seed"] = record.seed
            try:
                response = await http.post("/grader", json=body)
                response.raise_for_status()
                grade_ = response.json()
            except (httpx.HTTPError, ValueError) as error:
                record.notes.append(f"grading failed: {error}"[:300])
                return
            record.score = grade_.get("score")
            record.unclamped_score = grade_.get("unclamped_score")
            record.floor = grade_.get("floor")
            record.ceiling = grade_.get("ceiling")

        await asyncio.gather(*(grade(r) for r in records))


async def fetch_task_configs(env_url: str) -> dict[str, dict[str, Any]]:
    """The server's published task table (``GET /tasks``); the local one if unavailable."""
    try:
        async with httpx.AsyncClient(base_url=env_url, timeout=30.0) as http:
            response = await http.get("/tasks")
            response.raise_for_status()
            return {entry["name"]: entry for entry in response.json()["tasks"]}
    except (httpx.HTTPError, KeyError, TypeError, ValueError):
        return {name: dict(task.published) for name, task in tasks().items()}


async def run_all(
    env_url: str,
    tasks: list[str],
    seeds: list[int | None],
    agent_name: str,
    settings: LLMSettings | None,
    concurrency: int,
    show_progress: bool,
    grade: bool,
) -> list[EpisodeRecord]:
    configs = await fetch_task_configs(env_url)
    jobs = [(task, seed) for task in tasks for seed in seeds]
    progress = Progress(len(jobs), show_progress)
    limit = asyncio.Semaphore(max(1, concurrency))

    async def run(task: str, seed: int | None) -> EpisodeRecord:
        async with limit:
            config = configs.get(task) or dict(get_task(task).published)
            return await play_episode(env_url, task, seed, agent_name, settings, config, progress)

    records = list(await asyncio.gather(*(run(task, seed) for task, seed in jobs)))
    if grade:
        await grade_records(env_url, records)
    return records


# --------------------------------------------------------------------------- reporting
def write_output(path: Path, records: list[EpisodeRecord]) -> None:
    rows = [record.__dict__ for record in records]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    else:
        path.write_text(json.dumps({"episodes": rows}, indent=2) + "\n")


def print_table(records: list[EpisodeRecord], agent_name: str) -> None:
    header = f"{'task':<8} {'seed':>6} {'profit':>12} {'score':>7}"
    if agent_name == "llm":
        header += f" {'fallbacks':>9} {'tokens':>9}"
    print(header)
    for r in records:
        seed = "-" if r.seed is None else str(r.seed)
        profit = "failed" if r.profit is None else f"{r.profit:,.2f}"
        score = "-" if r.score is None else f"{r.score:.3f}"
        line = f"{r.task_name:<8} {seed:>6} {profit:>12} {score:>7}"
        if agent_name == "llm":
            line += f" {r.fallbacks:>9} {r.total_tokens:>9}"
        print(line)
        if r.error:
            print(f"  error: {r.error}")
    for task in dict.fromkeys(r.task_name for r in records):
        scores = [r.score for r in records if r.task_name == task and r.score is not None]
        if len(scores) > 1:
            print(f"{task}: mean score {sum(scores) / len(scores):.3f} over {len(scores)} seeds")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.no_dotenv:
        from dotenv import load_dotenv

        load_dotenv(Path.cwd() / ".env")  # variables already set win over the file
        load_dotenv(ROOT / ".env")
    try:
        seeds = parse_seeds(args.seeds)
    except (argparse.ArgumentTypeError, ValueError) as error:
        parser.error(f"--seeds: {error}")
    settings = llm_settings(args)
    agent_name = args.agent or ("llm" if settings else "heuristic")
    if agent_name == "llm" and settings is None:
        parser.error("--agent llm needs API_BASE_URL and MODEL_NAME (and HF_TOKEN or API_KEY)")
    if args.agent is None and settings is None:
        print(
            "No LLM configured (API_BASE_URL and MODEL_NAME unset): "
            "running the built-in heuristic agent.",
            file=sys.stderr,
        )
    elif agent_name == "llm":
        print(f"LLM agent: model {settings.model} at {settings.base_url}", file=sys.stderr)

    with contextlib.ExitStack() as stack:
        env_url = args.env_url
        if not env_url:
            if not args.quiet:
                print("Starting the environment server locally...", file=sys.stderr)
            env_url = stack.enter_context(local_server())
        records = asyncio.run(
            run_all(
                env_url,
                args.tasks,
                seeds,
                agent_name,
                settings,
                args.concurrency,
                not args.quiet,
                not args.no_grade,
            )
        )
    if args.output:
        write_output(args.output, records)
    print_table(records, agent_name)
    return 1 if any(r.error for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
