"""Play the inventory environment over WebSocket with an LLM (or built-in agents) and score it.

    python inference.py                         # all three tasks, seeds 0-9 each
    python inference.py --tasks hard --seeds 0-4,12 --concurrency 5 --json results.json
    python inference.py --agent heuristic,random --num-seeds 20 --trace episodes.jsonl

The LLM is any OpenAI-compatible endpoint: ``API_BASE_URL``, ``MODEL_NAME`` and ``HF_TOKEN``
or ``API_KEY``, from the environment or a ``.env`` file. With no LLM configured the built-in
heuristic plays (and says so). With no ``--env-url`` (or ``ENV_URL``) the script starts the
server itself on a free loopback port and stops it at exit. Every agent plays the same seeds;
scores come from the server's ``POST /grader``; each task's mean comes with a 95% confidence
interval and paired differences between agents (``evaluation_stats``). An endpoint that keeps
failing the same way stops the run with the cause (exit status 3) unless ``--keep-going``.
Progress goes to stderr; the results to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Only cheap modules here: ``--help`` must not wait for the web stack or the OpenAI client.
from evaluation_stats import evaluation_document, markdown_tables  # noqa: E402
from server.constants import EPISODE_DAYS, TASK_NAMES  # noqa: E402
from server.llm_config import (  # noqa: E402
    ENVIRONMENT_HELP,
    EndpointDown,
    FailureMonitor,
    LLMConfigError,
    stop_after_from_env,
)
from server.task_catalog import get_task, task_names, tasks  # noqa: E402

if TYPE_CHECKING:
    from episode_trace import EpisodeTrace, TraceWriter
    from models import InventoryAction, InventoryObservation
    from server.llm_agent import LLMSettings

BUILT_IN_AGENTS = ("heuristic", "basestock", "random", "passive")
AGENT_CHOICES = ("llm", *BUILT_IN_AGENTS)
DEFAULT_NUM_SEEDS = 10
"""Seeds 0..9 per task: the evaluation protocol (docs/evaluation.md)."""
EXIT_ENDPOINT_DOWN = 3


# --------------------------------------------------------------------------- configuration
def parse_seeds(text: str | None) -> list[int | None]:
    """``0-19``; ``1,5,9``; mixes of both; ``default`` = the task's default seed.

    ``None`` (no ``--seeds``) gives the protocol's seeds 0..9.
    """
    if text is None:
        return list(range(DEFAULT_NUM_SEEDS))
    seeds: list[int | None] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if part.lower() == "default":
            seeds.append(None)
        elif "-" in part[1:]:
            low, high = (int(x) for x in part.split("-", 1))
            if high < low:
                raise argparse.ArgumentTypeError(f"empty seed range {part!r}")
            seeds.extend(range(low, high + 1))
        else:
            seeds.append(int(part))
    if not seeds:
        raise argparse.ArgumentTypeError(f"no seeds in {text!r}")
    if any(seed is not None and seed < 0 for seed in seeds):
        raise argparse.ArgumentTypeError("seeds are non-negative")
    return list(dict.fromkeys(seeds))


def parse_tasks(text: str) -> list[str]:
    tasks = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in tasks if t not in task_names()]
    if unknown or not tasks:
        raise argparse.ArgumentTypeError(
            f"unknown task(s) {', '.join(unknown) or '(none)'}; allowed: {', '.join(task_names())}"
        )
    return tasks


def parse_agents(text: str) -> list[str]:
    agents = list(dict.fromkeys(a.strip() for a in text.split(",") if a.strip()))
    unknown = [a for a in agents if a not in AGENT_CHOICES]
    if unknown or not agents:
        raise argparse.ArgumentTypeError(
            f"unknown agent(s) {', '.join(unknown) or '(none)'}; "
            f"allowed: {', '.join(AGENT_CHOICES)}"
        )
    return agents


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Play the inventory environment with an LLM or built-in agents over the "
        "same seeds, and score them with 95% confidence intervals.",
        epilog=ENVIRONMENT_HELP + "\n\nExit status: 0 done, 1 an episode failed, 2 usage error, "
        f"{EXIT_ENDPOINT_DOWN} the LLM endpoint kept failing (run stopped).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--tasks",
        type=parse_tasks,
        default=list(TASK_NAMES),
        help="comma-separated tasks (default: easy,medium,hard)",
    )
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument(
        "--seeds",
        default=None,
        help=f"seeds per task: '0-9' (default: 0-{DEFAULT_NUM_SEEDS - 1}), '0-4,12', "
        "'default' (each task's own seed)",
    )
    seeds.add_argument(
        "--num-seeds", type=int, default=None, metavar="N", help="seeds 0..N-1 per task"
    )
    parser.add_argument(
        "--agent",
        type=parse_agents,
        default=None,
        help="comma-separated: llm (default when an LLM is configured, else heuristic), "
        "heuristic, random, passive; every agent plays the same seeds",
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
        help="write per-episode records: .jsonl (one line each) or .json",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the results (schema inventory-eval/1: episodes, means with 95%% "
        "intervals, paired differences) for a leaderboard",
    )
    parser.add_argument(
        "--trace",
        type=Path,
        default=None,
        metavar="FILE",
        help="write every episode's actions and observations as JSON lines "
        "(inventory-trace/1; scripts/trace_report.py draws them)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=1, help="episodes played at the same time (default 1)"
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="never stop on LLM failures: fall back to the heuristic for the day and go on",
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
    """The configured endpoint, ``None`` when none is; ``LLMConfigError`` for half of one."""
    from server.llm_agent import settings_from_env

    return settings_from_env(
        os.environ,
        strict=True,
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
    import httpx

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
    verified: bool | None = None
    """True when the server graded the episode it played itself (by ``episode_id``)."""
    episode_id: str | None = None
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

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Progress:
    """A progress bar on a terminal (tqdm, stderr); a plain line per finished episode
    otherwise, so logs stay readable."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self.done = 0
        self.days: dict[str, int] = {}
        self.started = time.monotonic()
        self.bar: Any = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="episode", file=sys.stderr, dynamic_ncols=True)

    def day(self, key: str, day: int) -> None:
        self.days[key] = day
        if self.bar is not None:
            running = " ".join(f"{k}:{d}/{EPISODE_DAYS}" for k, d in self.days.items())
            self.bar.set_postfix_str(running[:80], refresh=False)
            self.bar.refresh()

    def finished(self, key: str, record: EpisodeRecord) -> None:
        self.days.pop(key, None)
        self.done += 1
        if not self.enabled:
            return
        profit = "failed" if record.profit is None else f"profit {record.profit:,.2f}"
        extra = f", {record.fallbacks} fallbacks" if record.agent == "llm" else ""
        if self.bar is not None:
            self.bar.update(1)
            self.bar.write(f"{key}: {profit}{extra}", file=sys.stderr)
            return
        elapsed = time.monotonic() - self.started
        print(
            f"[{self.done}/{self.total}] {key}: {profit}{extra} ({elapsed:.1f}s)",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _make_player(
    agent_name: str,
    seed: int | None,
    settings: LLMSettings | None,
    config: dict[str, Any],
    monitor: FailureMonitor,
) -> Any:
    if agent_name == "llm":
        from server.llm_agent import LLMAgent

        assert settings is not None
        return LLMAgent(settings, task_config=config, monitor=monitor)
    if agent_name == "heuristic":
        from server.heuristic_agent import HeuristicAgent

        return HeuristicAgent(task_config=config)
    from server.agents import make_agent

    return make_agent(agent_name, seed)


def _episode_key(agent_name: str, task_name: str, seed: int | None, agents: int) -> str:
    key = f"{task_name}/{'default' if seed is None else seed}"
    return f"{agent_name} {key}" if agents > 1 else key


class SessionEpisode:
    """One episode over a WebSocket session (``client.InventoryEnv``), for the episode loop."""

    def __init__(self, env: Any, task_name: str, seed: int | None) -> None:
        self.env = env
        self.task_name = task_name
        self._seed = seed
        self.episode_id: str | None = None

    async def reset(self) -> InventoryObservation:
        return (await self.env.reset(task_name=self.task_name, seed=self._seed)).observation

    async def seed(self) -> int | None:
        state = await self.env.state()
        self.episode_id = state.episode_id
        return state.seed

    async def step(self, action: InventoryAction) -> InventoryObservation:
        return (await self.env.step(action)).observation


class EpisodeWatch:
    """Counts the days into the record and the progress bar, and feeds the trace."""

    def __init__(self, record: EpisodeRecord, progress: Progress, key: str, trace: Any) -> None:
        self.record, self.progress, self.key, self.trace = record, progress, key, trace

    def reset(self, observation: InventoryObservation, seed: int | None = None) -> None:
        if self.trace is not None:
            self.trace.reset(observation, seed=seed)

    def step(
        self, action: InventoryAction, observation: InventoryObservation, reward: float | None
    ) -> None:
        self.record.days += 1
        self.record.total_reward += float(reward or 0.0)
        if self.trace is not None:
            self.trace.step(action, observation, reward)
        self.progress.day(self.key, self.record.days)


async def play_episode(
    env_url: str,
    task_name: str,
    seed: int | None,
    agent_name: str,
    settings: LLMSettings | None,
    config: dict[str, Any],
    progress: Progress,
    monitor: FailureMonitor,
    trace: EpisodeTrace | None = None,
    key: str | None = None,
) -> EpisodeRecord:
    """One whole episode over WebSocket; failures are recorded, not raised, except
    ``EndpointDown``, which stops the whole run."""
    from client import InventoryEnv
    from server.episode_loop import play_episode as play

    key = key or _episode_key(agent_name, task_name, seed, 1)
    record = EpisodeRecord(
        task_name=task_name,
        seed=seed,
        agent=agent_name,
        model=settings.model if settings and agent_name == "llm" else None,
    )
    player = _make_player(agent_name, seed, settings, config, monitor)
    started = time.monotonic()
    try:
        try:
            async with InventoryEnv(base_url=env_url, message_timeout_s=120.0) as env:
                episode = SessionEpisode(env, task_name, seed)
                watch = EpisodeWatch(record, progress, key, trace)
                result = await play(player, episode, task_name, observer=watch)
                record.profit = result.profit
                record.seed = result.seed
                record.episode_id = episode.episode_id
        except EndpointDown:
            raise
        except Exception as error:  # a broken episode is reported; the others go on
            record.error = f"{type(error).__name__}: {error}"[:500]
    finally:
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
    """Fill in scores from the server's ``POST /grader``.

    By the session's ``episode_id`` first: a server that keeps graded episodes scores the
    profit it booked itself (``verified``). A server without that (422), or one that forgot
    the episode (404), grades the profit this client reports, marked unverified.
    """
    import httpx

    async with httpx.AsyncClient(base_url=env_url, timeout=900.0) as http:

        async def grade(record: EpisodeRecord) -> None:
            if record.profit is None:
                return
            claimed: dict[str, Any] = {
                "task_name": record.task_name,
                "agent_profit": record.profit,
            }
            if record.seed is not None:
                claimed["seed"] = record.seed
            bodies = [claimed]
            if record.episode_id:
                bodies.insert(0, {"episode_id": record.episode_id})
            grade_: dict[str, Any] | None = None
            try:
                for body in bodies:
                    response = await http.post("/grader", json=body)
                    if response.status_code in (404, 422) and body is not claimed:
                        continue  # this server grades claimed profits only
                    response.raise_for_status()
                    grade_ = response.json()
                    break
            except (httpx.HTTPError, ValueError) as error:
                record.notes.append(f"grading failed: {error}"[:300])
                return
            if grade_ is None:
                return
            record.score = grade_.get("score")
            record.unclamped_score = grade_.get("unclamped_score")
            record.floor = grade_.get("floor")
            record.ceiling = grade_.get("ceiling")
            record.verified = bool(grade_.get("verified", False))

        await asyncio.gather(*(grade(r) for r in records))


async def fetch_task_configs(env_url: str) -> dict[str, dict[str, Any]]:
    """The server's published task table (``GET /tasks``); the local one if unavailable."""
    import httpx

    try:
        async with httpx.AsyncClient(base_url=env_url, timeout=30.0) as http:
            response = await http.get("/tasks")
            response.raise_for_status()
            return {entry["name"]: entry for entry in response.json()["tasks"]}
    except (httpx.HTTPError, KeyError, TypeError, ValueError):
        return {name: dict(task.published) for name, task in tasks().items()}


@dataclass
class RunResult:
    records: list[EpisodeRecord]
    monitor: FailureMonitor
    stopped: EndpointDown | None = None
    seconds: float = 0.0
    """From the first episode's start to the end of play (start-up and imports excluded)."""


async def run_all(
    env_url: str,
    tasks: list[str],
    seeds: list[int | None],
    agents: list[str],
    settings: LLMSettings | None,
    concurrency: int,
    show_progress: bool,
    grade: bool,
    monitor: FailureMonitor | None = None,
    tracer: TraceWriter | None = None,
) -> RunResult:
    """Every agent on every task and seed; stops everything on ``EndpointDown``."""
    monitor = monitor or FailureMonitor()
    configs = await fetch_task_configs(env_url)
    started = time.monotonic()
    jobs = [(agent, task, seed) for agent in agents for task in tasks for seed in seeds]
    progress = Progress(len(jobs), show_progress)
    limit = asyncio.Semaphore(max(1, concurrency))
    traces: dict[int, EpisodeTrace] = {}

    async def run(index: int, agent: str, task: str, seed: int | None) -> EpisodeRecord:
        async with limit:
            config = configs.get(task) or dict(get_task(task).published)
            model = settings.model if settings and agent == "llm" else None
            trace = None
            if tracer is not None:
                trace = traces[index] = tracer.episode(task, seed, agent, model=model)
            key = _episode_key(agent, task, seed, len(agents))
            return await play_episode(
                env_url, task, seed, agent, settings, config, progress, monitor, trace, key
            )

    pending = [asyncio.ensure_future(run(i, *job)) for i, job in enumerate(jobs)]
    stopped: EndpointDown | None = None
    try:
        await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
        for future in pending:
            if future.done() and not future.cancelled():
                error = future.exception()
                if isinstance(error, EndpointDown):
                    stopped = error
                elif error is not None:
                    raise error
    finally:
        for future in pending:
            future.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        progress.close()
    seconds = time.monotonic() - started
    records = [
        future.result()
        for future in pending
        if future.done() and not future.cancelled() and future.exception() is None
    ]
    if grade and stopped is None:
        await grade_records(env_url, records)
    if tracer is not None:
        finished = {id(r): r for r in records}
        for index, future in enumerate(pending):
            trace = traces.get(index)
            if trace is None:
                continue
            done = future.done() and not future.cancelled() and future.exception() is None
            record = future.result() if done else None
            if record is not None and id(record) in finished:
                grade_ = None
                if record.score is not None:
                    grade_ = {
                        k: getattr(record, k)
                        for k in ("score", "unclamped_score", "floor", "ceiling", "verified")
                    }
                trace.finish(record.profit, grade_, record.error)
            elif trace.steps:
                trace.finish(None, None, str(stopped) if stopped else "cancelled")
    return RunResult(records, monitor, stopped, seconds)


# --------------------------------------------------------------------------- reporting
def write_output(path: Path, records: list[EpisodeRecord]) -> None:
    rows = [record.as_dict() for record in records]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    else:
        path.write_text(json.dumps({"episodes": rows}, indent=2) + "\n")


def results_document(records: list[EpisodeRecord], command: str) -> dict[str, Any]:
    """The ``inventory-eval/1`` document of a run."""
    episodes = []
    for record in records:
        row = record.as_dict()
        row["task"] = row.pop("task_name")
        episodes.append(row)
    return evaluation_document(
        episodes,
        command=command,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def print_table(records: list[EpisodeRecord], monitor: FailureMonitor | None = None) -> None:
    """Per-episode lines, then means with 95% intervals and paired differences, then the
    causes of every fallback."""
    if not records:
        print("No episode finished.")
    show_llm = any(r.agent == "llm" for r in records)
    header = f"{'agent':<10} {'task':<8} {'seed':>6} {'profit':>12} {'score':>7}"
    if show_llm:
        header += f" {'fallbacks':>9} {'tokens':>9}"
    if records:
        print(header)
    for r in records:
        seed = "-" if r.seed is None else str(r.seed)
        profit = "failed" if r.profit is None else f"{r.profit:,.2f}"
        score = "-" if r.score is None else f"{r.score:.3f}"
        line = f"{r.agent:<10} {r.task_name:<8} {seed:>6} {profit:>12} {score:>7}"
        if show_llm:
            line += f" {r.fallbacks:>9} {r.total_tokens:>9}"
        print(line)
        if r.error:
            print(f"  error: {r.error}")
    if any(r.score is not None for r in records):
        document = results_document(records, command="")
        seeds = sorted({str(r.seed) for r in records})
        print(f"\nMean score ± 95% confidence half-width over {len(seeds)} seed(s) per task:\n")
        print(markdown_tables(document))
        unverified = sum(1 for r in records if r.score is not None and not r.verified)
        if unverified:
            print(
                f"\n{unverified} score(s) graded from the profit this client reported "
                "(unverified): the server cannot grade episodes by episode_id."
            )
    if monitor is not None and monitor.causes:
        print(f"\nLLM fallbacks to the heuristic: {monitor.fallbacks}, by cause:")
        for line in monitor.summary_lines():
            print(line)


def _load_dotenv() -> None:
    from dotenv import load_dotenv

    load_dotenv(Path.cwd() / ".env")  # variables already set win over the file
    load_dotenv(ROOT / ".env")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.no_dotenv:
        _load_dotenv()
    try:
        if args.num_seeds is not None:
            if args.num_seeds < 1:
                raise argparse.ArgumentTypeError("--num-seeds must be at least 1")
            seeds: list[int | None] = list(range(args.num_seeds))
        else:
            seeds = parse_seeds(args.seeds)
    except (argparse.ArgumentTypeError, ValueError) as error:
        parser.error(f"--seeds: {error}")
    try:
        settings = llm_settings(args)
        stop_after = None if args.keep_going else stop_after_from_env(os.environ)
    except LLMConfigError as error:
        parser.error(str(error))
    agents = args.agent or ["llm" if settings else "heuristic"]
    if "llm" in agents and settings is None:
        parser.error(
            "--agent llm needs an LLM endpoint: set API_BASE_URL and MODEL_NAME "
            "(and HF_TOKEN or API_KEY if it needs a key)"
        )
    if args.agent is None and settings is None:
        print(
            "No LLM configured (API_BASE_URL and MODEL_NAME unset): "
            "running the built-in heuristic agent.",
            file=sys.stderr,
        )
    elif "llm" in agents and settings is not None:
        key = "with a key" if settings.api_key else "no API key sent"
        print(f"LLM agent: model {settings.model} at {settings.base_url} ({key})", file=sys.stderr)
    monitor = FailureMonitor(stop_after)

    with contextlib.ExitStack() as stack:
        tracer = None
        if args.trace:
            from episode_trace import TraceWriter

            tracer = TraceWriter(args.trace)
        env_url = args.env_url
        if not env_url:
            if not args.quiet:
                print("Starting the environment server locally...", file=sys.stderr)
            env_url = stack.enter_context(local_server())
        result = asyncio.run(
            run_all(
                env_url,
                args.tasks,
                seeds,
                agents,
                settings,
                args.concurrency,
                not args.quiet,
                not args.no_grade,
                monitor,
                tracer,
            )
        )
    records = result.records
    if args.output:
        write_output(args.output, records)
    if args.json:
        command = "python inference.py " + " ".join(sys.argv[1:] if argv is None else argv)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results_document(records, command), indent=1) + "\n")
    print_table(records, monitor)
    if result.stopped is not None:
        print(
            f"\nStopped after {result.seconds:.1f} s of play: {result.stopped}.\n"
            "Check API_BASE_URL, MODEL_NAME and the key, or "
            "pass --keep-going to fall back to the heuristic and go on.",
            file=sys.stderr,
        )
        return EXIT_ENDPOINT_DOWN
    return 1 if any(r.error for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
