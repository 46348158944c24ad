"""The evaluation protocol's pieces: statistics on hand-computed numbers, the results document
(``inventory-eval/1``), ``scripts/evaluate.py``, episode traces and the trace report."""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

import pytest
from scipy import stats

from episode_trace import SCHEMA as TRACE_SCHEMA
from episode_trace import EpisodeTrace, TraceWriter, read_traces
from evaluation_stats import (
    SCHEMA,
    evaluation_document,
    markdown_tables,
    mean_interval,
    paired_interval,
    parse_seed_list,
    t_quantile_975,
)
from server.agents import make_agent
from server.constants import EPISODE_DAYS
from server.in_process_episode import run_episode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import evaluate  # noqa: E402
import trace_report  # noqa: E402


# --------------------------------------------------------------------------- statistics
def test_mean_interval_on_hand_computed_numbers() -> None:
    interval = mean_interval([1, 2, 3, 4])
    sd = math.sqrt(5 / 3)  # squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, over n - 1 = 3
    assert interval.n == 4 and interval.mean == 2.5
    assert interval.sd == pytest.approx(sd)
    assert interval.half_width == pytest.approx(3.182446305 * sd / 2)  # t(0.975, 3) sd / sqrt 4
    assert (interval.low, interval.high) == pytest.approx((2.5 - 2.0542603, 2.5 + 2.0542603))
    assert interval.text() == "2.500 ± 2.054"
    single = mean_interval([0.7])
    assert single.half_width is None and single.low is None and single.text() == "0.700"
    with pytest.raises(ValueError):
        mean_interval([])


def test_paired_differences_use_only_the_common_seeds() -> None:
    first = {0: 1.0, 1: 2.0, 2: 4.0}
    second = {0: 0.0, 1: 1.0, 2: 1.0, 3: 9.0}  # seed 3 has no partner: left out
    interval = paired_interval(first, second)  # differences 1, 1, 3
    assert interval.n == 3 and interval.mean == pytest.approx(5 / 3)
    assert interval.sd == pytest.approx(math.sqrt(4 / 3))
    assert interval.half_width == pytest.approx(4.302652730 * math.sqrt(4 / 3) / math.sqrt(3))
    with pytest.raises(ValueError, match="no common seeds"):
        paired_interval({0: 1.0}, {1: 1.0})


def test_t_quantiles_match_scipy() -> None:
    for df in [*range(1, 61), 100, 250, 1000]:
        assert t_quantile_975(df) == pytest.approx(stats.t.ppf(0.975, df), abs=2e-5), df


def test_seed_lists() -> None:
    assert parse_seed_list("0-9") == list(range(10))
    assert parse_seed_list("0-4,12,3") == [0, 1, 2, 3, 4, 12]
    for bad in ("", "5-2", "-1", "x"):
        with pytest.raises(ValueError):
            parse_seed_list(bad)


EPISODES = [
    {"task": "easy", "seed": s, "agent": a, "profit": p, "score": sc}
    for a, rows in {
        "heuristic": [(0, 100.0, 0.8), (1, 110.0, 0.9), (2, 90.0, 0.7)],
        "random": [(0, 10.0, 0.1), (1, 0.0, 0.0), (2, 5.0, 0.05)],
    }.items()
    for s, p, sc in rows
] + [{"task": "easy", "seed": 3, "agent": "random", "profit": None, "score": None}]


def test_the_results_document() -> None:
    document = evaluation_document(EPISODES, command="cmd", created="2026-01-01T00:00:00+00:00")
    assert document["schema"] == SCHEMA == "inventory-eval/1"
    assert document["agents"] == ["heuristic", "random"] and document["tasks"] == ["easy"]
    assert document["seeds"] == {"easy": [0, 1, 2, 3]} and document["baseline"] == "heuristic"
    assert len(document["episodes"]) == 7 and document["command"] == "cmd"
    summary = {s["agent"]: s for s in document["summaries"]}
    assert summary["heuristic"]["score"]["mean"] == pytest.approx(0.8)
    assert summary["heuristic"]["score"]["half_width"] == pytest.approx(
        4.302652730 * 0.1 / math.sqrt(3)
    )
    assert summary["random"]["score"]["n"] == 3 and summary["random"]["failed"] == 1
    assert summary["random"]["profit"]["mean"] == pytest.approx(5.0)
    (pair,) = document["paired_differences"]
    assert pair["agent"] == "random" and pair["baseline"] == "heuristic"
    assert pair["score_difference"]["mean"] == pytest.approx((-0.7 - 0.9 - 0.65) / 3)
    json.dumps(document)  # JSON-ready
    table = markdown_tables(document)
    assert "| easy | 0.800 ± 0.248 | 0.050 ± 0.124 |" in table
    assert "random − heuristic" in table and "| easy | -0.750 ±" in table


# --------------------------------------------------------------------------- evaluate.py
def test_evaluate_plays_every_agent_on_the_same_seeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results, trace = tmp_path / "eval.json", tmp_path / "eval.jsonl"
    code = evaluate.main(["--seeds", "0-1", "--tasks", "easy", "--agents", "passive,heuristic",
                          "--jobs", "1", "--quiet", "--json", str(results),
                          "--trace", str(trace)])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "| Task | passive | heuristic |" in out and "passive − heuristic" in out
    document = json.loads(results.read_text())
    assert document["schema"] == SCHEMA and document["seeds"] == {"easy": [0, 1]}
    for episode in document["episodes"]:
        expected = run_episode(make_agent(episode["agent"], 0), "easy", episode["seed"]).profit
        assert episode["profit"] == pytest.approx(expected)
        if episode["agent"] == "passive":
            assert episode["score"] == 0.0  # the floor policy
    episodes = read_traces(trace)
    assert [(e["header"]["agent"], e["header"]["seed"]) for e in episodes] == [
        ("passive", 0), ("heuristic", 0), ("passive", 1), ("heuristic", 1)
    ]  # fmt: skip
    assert all(len(e["steps"]) == EPISODE_DAYS for e in episodes)


# --------------------------------------------------------------------------- traces
def test_a_trace_of_a_real_episode_becomes_a_report_with_every_chart(tmp_path: Path) -> None:
    path = tmp_path / "episode.jsonl"
    writer = TraceWriter(path)
    trace = writer.episode("easy", 0, "heuristic")
    profit = run_episode(make_agent("heuristic"), "easy", 0, observer=trace).profit
    trace.finish(profit, {"score": 0.5})
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["type"] == "header" and lines[0]["schema"] == TRACE_SCHEMA
    assert lines[0]["observation"]["current_day"] == 0
    assert [line["type"] for line in lines[1:-1]] == ["step"] * EPISODE_DAYS
    assert lines[-1] == {"type": "footer", "profit": profit, "grade": {"score": 0.5},
                         "error": None}  # fmt: skip
    assert profit == pytest.approx(run_episode(make_agent("heuristic"), "easy", 0).profit)

    output = tmp_path / "report.html"
    assert trace_report.main([str(path), "--output", str(output)]) == 0
    page = output.read_text()
    for chart_id, title in trace_report.CHARTS:
        section = re.search(rf'<section id="chart-{chart_id}"><h2>([^<]*)</h2>(.*?)</section>',
                            page, re.S)  # fmt: skip
        assert section, chart_id
        assert section.group(1) == title
        assert f'id="plot-{chart_id}"' in section.group(2) and "Plotly.newPlot" in section.group(2)
    assert "clairvoyant plan" in page  # the reference line was drawn
    assert not re.search(r"<script[^>]+src=", page), "the report must work offline"
    assert "plotly.js v" in page or "plotly.js" in page  # the library is inlined


def test_a_broken_trace_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"type": "step"}\n')
    with pytest.raises(ValueError, match="line 1: a step line before any header"):
        read_traces(path)
    path.write_text('{"type": "header", "schema": "other/9"}\n')
    with pytest.raises(ValueError, match="line 1: schema 'other/9'"):
        read_traces(path)


def test_the_report_shows_lost_units_cost_notices_and_overdue_shipments() -> None:
    """A trace records whole observations, so the report draws the supplier's news from them:
    the lost units, the multiplier the notices announce for each decision day, overdue units."""
    trace = EpisodeTrace(None, "hard", 0, "heuristic")
    trace.finish(run_episode(make_agent("heuristic"), "hard", 0, observer=trace).profit)
    episode = {"header": trace.header, "steps": trace.steps, "footer": trace.footer}
    figures = trace_report.build_figures(episode, None)
    observations = [trace.header["observation"]] + [s["observation"] for s in trace.steps]

    lost_bars = [bar for bar in figures["orders"].data if bar.yaxis == "y3"]
    lost = sum(sum(s["observation"]["units_lost"].values()) for s in trace.steps)
    assert lost > 0 and sum(sum(bar.y) for bar in lost_bars) == lost

    lines = {line.name: list(line.y) for line in figures["supplier"].data if line.yaxis == "y"}
    spiked = [
        (o["current_day"], n["product"], n["cost_multiplier"])
        for o in observations
        for n in o["cost_notices"]
        if n["first_day"] <= o["current_day"] <= n["last_day"]
    ]
    assert spiked, "hard seed 0 has a cost spike in force on some day"
    for day, product, multiplier in spiked:
        assert lines[product][day] == multiplier

    overdue_bars = [bar for bar in figures["supplier"].data if bar.yaxis == "y2"]
    assert (
        sum(sum(bar.y) for bar in overdue_bars)
        == sum(
            s["quantity"]
            for o in observations
            for s in o["updated_deliveries"]
            if s["latest_arrival_day"] < o["current_day"]
        )
        > 0
    )
