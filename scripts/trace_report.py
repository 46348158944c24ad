"""Turn an episode trace into a self-contained HTML report: pictures of an episode.

    python inference.py --agent heuristic --tasks hard --seeds 3 --trace hard3.jsonl
    python scripts/trace_report.py hard3.jsonl                 # writes hard3.html
    python scripts/trace_report.py runs.jsonl --episode 4 --output seed4.html
    python scripts/trace_report.py runs.jsonl --list           # what the trace holds

The charts (plotly, its JavaScript inlined so the file works offline): profit over the month
against the clairvoyant plan's on the same scenario (computed in process; ``--no-clairvoyant``
skips it), cash, stock on hand and in transit per product, demand vs sales vs lost sales,
prices, units ordered, received and lost by the supplier, the supplier (the unit-cost
multiplier announced in ``cost_notices`` for each decision day, units overdue past their
promised latest arrival day), waste (expired, liquidated), daily profit, rejected orders and
events. Needs the ``report`` extra (``pip install -e .[report]``).
"""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from episode_trace import EpisodeTrace, read_traces  # noqa: E402
from server.rules import spiked_cost_multiplier  # noqa: E402

CHARTS = (
    ("profit", "Profit over the month, against the clairvoyant plan"),
    ("cash", "Cash on hand"),
    ("stock", "Stock on hand and in transit, per product"),
    ("demand", "Demand, sales and lost sales, per product"),
    ("prices", "Price multipliers"),
    ("orders", "Units ordered, received and lost by the supplier"),
    ("supplier", "Supplier: announced unit-cost multiplier and overdue units, per product"),
    ("waste", "Waste: expired and liquidated units"),
    ("daily-profit", "Daily profit"),
    ("events", "Rejected orders and events"),
)
"""Every chart of the report: (section id, title). Tests check that each one is there."""


# --------------------------------------------------------------------------- series
def _observations(episode: dict[str, Any]) -> list[dict[str, Any]]:
    first = episode["header"].get("observation")
    return ([first] if first else []) + [step["observation"] for step in episode["steps"]]


def _products(episode: dict[str, Any]) -> list[str]:
    observations = _observations(episode)
    return list(observations[0]["updated_inventory"]) if observations else []


def _on_hand(observation: dict[str, Any], product: str) -> int:
    return sum(int(batch[0]) for batch in observation["updated_inventory"].get(product, []))


def _in_transit(observation: dict[str, Any], product: str) -> int:
    return sum(
        int(s["quantity"])
        for s in observation.get("updated_deliveries", [])
        if s["product"] == product
    )


def cost_multiplier(observation: dict[str, Any], product: str) -> float:
    """The unit-cost multiplier the observation's cost notices announce for orders placed on
    its decision day (1 without one), as ``InventoryObservation.unit_cost`` reads them."""
    spikes = [
        (n["product"], n["first_day"], n["last_day"], float(n["cost_multiplier"]))
        for n in observation.get("cost_notices", [])
    ]
    return spiked_cost_multiplier(spikes, product, observation["current_day"])


def overdue_units(observation: dict[str, Any], product: str) -> int:
    """Units of ``product`` in transit past their promised latest arrival day."""
    return sum(
        int(s["quantity"])
        for s in observation.get("updated_deliveries", [])
        if s["product"] == product and s["latest_arrival_day"] < observation["current_day"]
    )


def _daily(episode: dict[str, Any], key: str, product: str, default: float = 0) -> list[Any]:
    """A per-product field of each day's observation."""
    return [s["observation"].get(key, {}).get(product, default) for s in episode["steps"]]


def _clairvoyant(episode: dict[str, Any]) -> dict[str, Any] | None:
    """The clairvoyant plan's episode on the same scenario (None when not computable)."""
    header = episode["header"]
    if header.get("seed") is None:
        return None
    from server import grader
    from server.in_process_episode import run_episode

    trace = EpisodeTrace(None, header["task"], header["seed"], "clairvoyant")
    agent = grader.clairvoyant_agent(header["task"], header["seed"])
    profit = run_episode(agent, header["task"], header["seed"], observer=trace).profit
    trace.finish(profit)
    return {"header": trace.header, "steps": trace.steps, "footer": trace.footer}


# --------------------------------------------------------------------------- figures
def build_figures(episode: dict[str, Any], reference: dict[str, Any] | None) -> dict[str, Any]:
    """One plotly figure per chart id of ``CHARTS``."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    observations = _observations(episode)
    days = [o["current_day"] for o in observations]
    step_days = [step["day"] for step in episode["steps"]]
    products = _products(episode)
    figures: dict[str, Any] = {}

    def layout(figure: Any, y_title: str, height: int = 360, last_row: int | None = None) -> Any:
        figure.update_layout(
            height=height,
            margin={"l": 60, "r": 20, "t": 30, "b": 40},
            hovermode="x unified",
            legend={"orientation": "h", "y": -0.2},
        )
        if last_row is None:
            figure.update_xaxes(title_text="day")
        else:  # subplots: one "day" label under the bottom one, clear of the subplot titles
            figure.update_xaxes(title_text="day", row=last_row, col=1)
        figure.update_yaxes(title_text=y_title)
        return figure

    profit = go.Figure()
    profit.add_scatter(x=days, y=[o["total_profit"] for o in observations], name="agent")
    if reference is not None:
        ref_obs = _observations(reference)
        profit.add_scatter(
            x=[o["current_day"] for o in ref_obs],
            y=[o["total_profit"] for o in ref_obs],
            name="clairvoyant plan",
            line={"dash": "dash"},
        )
    figures["profit"] = layout(profit, "profit ($)")

    cash = go.Figure()
    cash.add_scatter(x=days, y=[o["total_cash"] for o in observations], name="cash")
    figures["cash"] = layout(cash, "cash ($)")

    rows = len(products)

    def per_product(title: str) -> Any:
        return make_subplots(
            rows=rows, cols=1, shared_xaxes=True, subplot_titles=products, vertical_spacing=0.04
        )

    stock = per_product("stock")
    demand = per_product("demand")
    for row, product in enumerate(products, start=1):
        legend = row == 1
        stock.add_scatter(
            x=days, y=[_on_hand(o, product) for o in observations], name="on hand",
            line={"color": "#1f77b4"}, legendgroup="on hand", showlegend=legend, row=row, col=1,
        )  # fmt: skip
        stock.add_scatter(
            x=days, y=[_in_transit(o, product) for o in observations], name="in transit",
            line={"color": "#ff7f0e", "dash": "dot"}, legendgroup="in transit",
            showlegend=legend, row=row, col=1,
        )  # fmt: skip
        for key, name, color in (
            ("demand_today", "demand", "#7f7f7f"),
            ("units_sold", "sold", "#2ca02c"),
            ("units_missed", "lost sales", "#d62728"),
        ):
            demand.add_scatter(
                x=step_days,
                y=_daily(episode, key, product),
                name=name, line={"color": color}, legendgroup=name, showlegend=legend,
                row=row, col=1,
            )  # fmt: skip
    figures["stock"] = layout(stock, "units", height=180 * rows, last_row=rows)
    figures["demand"] = layout(demand, "units", height=180 * rows, last_row=rows)

    prices = go.Figure()
    for product in products:
        prices.add_scatter(
            x=step_days,
            y=_daily(episode, "price_multipliers", product, 1.0),
            name=product,
            line={"shape": "hv"},
        )  # fmt: skip
    figures["prices"] = layout(prices, "price multiplier")

    orders = make_subplots(
        rows=3, cols=1, shared_xaxes=True,
        subplot_titles=("ordered", "received", "lost by the supplier"),
    )  # fmt: skip
    for product in products:
        orders.add_bar(
            x=step_days,
            y=[(s["action"].get("buy_quantities") or {}).get(product, 0) for s in episode["steps"]],
            name=product, legendgroup=product, row=1, col=1,
        )  # fmt: skip
        orders.add_bar(
            x=step_days,
            y=_daily(episode, "units_received", product),
            name=product, legendgroup=product, showlegend=False, row=2, col=1,
        )  # fmt: skip
        orders.add_bar(
            x=step_days,
            y=_daily(episode, "units_lost", product),
            name=product, legendgroup=product, showlegend=False, row=3, col=1,
        )  # fmt: skip
    orders.update_layout(barmode="stack")
    figures["orders"] = layout(orders, "units", height=640, last_row=3)

    supplier = make_subplots(rows=2, cols=1, shared_xaxes=True,
                             subplot_titles=("unit-cost multiplier announced for the day",
                                             "units overdue in transit"))  # fmt: skip
    for product in products:
        supplier.add_scatter(
            x=days, y=[cost_multiplier(o, product) for o in observations], name=product,
            legendgroup=product, line={"shape": "hv"}, row=1, col=1,
        )  # fmt: skip
        supplier.add_bar(
            x=days, y=[overdue_units(o, product) for o in observations], name=product,
            legendgroup=product, showlegend=False, row=2, col=1,
        )  # fmt: skip
    supplier.update_layout(barmode="stack")
    figures["supplier"] = layout(supplier, "multiplier / units", height=480, last_row=2)

    waste = go.Figure()
    for key, name in (("units_expired", "expired"), ("units_liquidated", "liquidated")):
        waste.add_bar(
            x=step_days,
            y=[sum(s["observation"].get(key, {}).values()) for s in episode["steps"]],
            name=name,
        )
    waste.update_layout(barmode="stack")
    figures["waste"] = layout(waste, "units")

    daily = go.Figure()
    values = [s["observation"]["day_profit"] for s in episode["steps"]]
    daily.add_bar(
        x=step_days, y=values, name="daily profit",
        marker_color=["#2ca02c" if v >= 0 else "#d62728" for v in values],
    )  # fmt: skip
    figures["daily-profit"] = layout(daily, "$ per day")

    events = go.Figure()
    events.add_bar(
        x=step_days,
        y=[len(s["observation"].get("rejected_orders", [])) for s in episode["steps"]],
        name="rejected orders",
        hovertext=[
            "; ".join(
                f"{r.get('product')} x{r.get('quantity')}: {r.get('reason')}"
                for r in s["observation"].get("rejected_orders", [])
            )
            for s in episode["steps"]
        ],
    )
    active: dict[str, list[int]] = {}
    for s in episode["steps"]:
        for name in s["observation"].get("active_events", []):
            active.setdefault(name, []).append(s["day"])
    for index, (name, on_days) in enumerate(active.items()):
        events.add_scatter(
            x=on_days, y=[-0.5 - 0.5 * index] * len(on_days), mode="markers", name=name,
            marker={"symbol": "square", "size": 10},
        )  # fmt: skip
    figures["events"] = layout(events, "rejected orders (events below 0)")
    return figures


# --------------------------------------------------------------------------- page
def render_report(episode: dict[str, Any], reference: dict[str, Any] | None) -> str:
    """The whole HTML page; plotly.js inlined once, so it opens offline."""
    figures = build_figures(episode, reference)
    header, footer = episode["header"], episode.get("footer") or {}
    grade = footer.get("grade") or {}
    facts = [
        f"task <b>{html.escape(str(header['task']))}</b>",
        f"seed <b>{header.get('seed')}</b>",
        f"agent <b>{html.escape(str(header['agent']))}</b>",
    ]
    if header.get("model"):
        facts.append(f"model <b>{html.escape(str(header['model']))}</b>")
    if footer.get("profit") is not None:
        facts.append(f"profit <b>${footer['profit']:,.2f}</b>")
    if grade.get("score") is not None:
        facts.append(f"score <b>{grade['score']:.3f}</b>")
    if reference is not None:
        facts.append(f"clairvoyant plan ${reference['footer']['profit']:,.2f}")
    if footer.get("error"):
        facts.append(f"error: {html.escape(str(footer['error']))}")
    sections = []
    first = True
    for chart_id, title in CHARTS:
        div = figures[chart_id].to_html(
            full_html=False,
            include_plotlyjs=first,  # the library once, inline: no network needed
            div_id=f"plot-{chart_id}",
            config={"displaylogo": False, "responsive": True},
        )
        first = False
        sections.append(
            f'<section id="chart-{chart_id}"><h2>{html.escape(title)}</h2>{div}</section>'
        )
    title = f"{header['agent']} on {header['task']} seed {header.get('seed')}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Episode report: {html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1rem auto; max-width: 1100px;
       padding: 0 1rem; color: #222; }}
h1 {{ font-size: 1.4rem; }} h2 {{ font-size: 1.1rem; margin: 1.5rem 0 0.3rem; }}
p.facts b {{ color: #000; }}
</style></head><body>
<h1>Episode report: {html.escape(title)}</h1>
<p class="facts">{" · ".join(facts)}</p>
{"".join(sections)}
</body></html>
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("trace", type=Path, help="a trace from inference.py or evaluate.py")
    parser.add_argument("--episode", type=int, default=0, help="which episode (0 = the first)")
    parser.add_argument("--output", type=Path, default=None, help="default: the trace's .html")
    parser.add_argument("--list", action="store_true", help="list the trace's episodes and exit")
    parser.add_argument(
        "--no-clairvoyant", action="store_true", help="skip the clairvoyant plan's line"
    )
    args = parser.parse_args(argv)
    try:
        episodes = read_traces(args.trace)
    except (OSError, ValueError) as error:
        parser.error(str(error))
    if args.list:
        for index, episode in enumerate(episodes):
            header, footer = episode["header"], episode.get("footer") or {}
            print(
                f"{index:>4}  {header['agent']:<12} {header['task']:<7} seed {header.get('seed')}"
                f"  profit {footer.get('profit')}"
            )
        return 0
    if not 0 <= args.episode < len(episodes):
        parser.error(f"--episode must be in 0..{len(episodes) - 1}")
    episode = episodes[args.episode]
    try:
        import plotly  # noqa: F401
    except ImportError:
        parser.error("plotly is missing: pip install -e '.[report]'")
    reference = None if args.no_clairvoyant else _clairvoyant(episode)
    output = args.output or args.trace.with_suffix(".html")
    output.write_text(render_report(episode, reference))
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
