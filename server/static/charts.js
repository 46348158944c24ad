// Small dependency-free SVG line charts for the play view.
//
// drawLineChart(svg, {series, xMax, formatY}) redraws the whole chart: axes with "nice" ticks,
// one <path class="series" data-series=NAME> per series, a dot with a native tooltip per point,
// and a legend. The svg gets data-points = the longest series' length so tests can see growth.
// The drawing is as wide as the chart is on screen (at least MIN_WIDTH, at most WIDTH), so its
// 11 px labels stay 11 px on a phone instead of shrinking with a fixed viewBox; the legend
// wraps onto more rows when it does not fit.

const SVG_NS = "http://www.w3.org/2000/svg";
const WIDTH = 520;
const MIN_WIDTH = 280;
const HEIGHT = 250;
const MARGIN = { left: 58, right: 14, top: 30, bottom: 36 };
const LEGEND_ROW = 16;
const LEGEND_CHAR = 6.5; // estimated width of a legend character before it can be measured

function el(name, attributes = {}, text = null) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

/** A round step (1, 2 or 5 times a power of ten) giving about `count` intervals over `span`. */
function niceStep(span, count) {
  const raw = span / Math.max(count, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

function yDomain(series) {
  let low = 0;
  let high = 0;
  for (const line of series) {
    for (const point of line.values) {
      low = Math.min(low, point.y);
      high = Math.max(high, point.y);
    }
  }
  if (high - low < 1e-9) high = low + 1;
  const step = niceStep(high - low, 4);
  return { low: Math.floor(low / step) * step, high: Math.ceil(high / step) * step, step };
}

export function compactNumber(value) {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (magnitude >= 1e4) return `${(value / 1e3).toFixed(0)}k`;
  if (magnitude >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** Where each legend entry goes ([x, row]) and how many rows they take at this width. */
function legendLayout(series, width) {
  const positions = [];
  let x = MARGIN.left;
  let row = 0;
  for (const line of series) {
    const entry = 26 + line.name.length * LEGEND_CHAR;
    if (x > MARGIN.left && x + entry - 12 > width - MARGIN.right) {
      x = MARGIN.left;
      row += 1;
    }
    positions.push([x, row]);
    x += entry;
  }
  return { positions, rows: row + 1 };
}

/**
 * Redraw `svg` with `series` = [{name, color, values: [{x, y}], dashed?}].
 * `formatY` labels the y ticks, `formatPoint` the dots' tooltips.
 * `xMax` fixes the day axis (the whole month) so lines grow from left to right.
 */
export function drawLineChart(svg, {
  series, xMax, formatY = compactNumber, formatPoint = (v) => v.toLocaleString("en-US"),
  emptyText = "", xLabel = "day",
}) {
  svg.replaceChildren();
  const shown = svg.getBoundingClientRect().width;
  const width = shown > 0 ? Math.round(Math.min(WIDTH, Math.max(MIN_WIDTH, shown))) : WIDTH;
  const legendRows = legendLayout(series, width).rows;
  const top = MARGIN.top + (legendRows - 1) * LEGEND_ROW;
  const height = HEIGHT + (legendRows - 1) * LEGEND_ROW;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  const longest = Math.max(0, ...series.map((line) => line.values.length));
  svg.dataset.points = String(longest);

  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - top - MARGIN.bottom;
  const { low, high, step } = yDomain(series);
  const xScale = (x) => MARGIN.left + (x / Math.max(xMax, 1)) * plotWidth;
  const yScale = (y) => top + plotHeight - ((y - low) / (high - low)) * plotHeight;

  const grid = el("g", { class: "grid" });
  for (let tick = low; tick <= high + step / 2; tick += step) {
    const y = yScale(tick);
    grid.append(el("line", { x1: MARGIN.left, x2: width - MARGIN.right, y1: y, y2: y,
      class: Math.abs(tick) < step / 1e6 ? "zero" : "" }));
    grid.append(el("text", { x: MARGIN.left - 6, y: y + 4, class: "tick y" }, formatY(tick)));
  }
  const xStep = (xMax > 20 ? 5 : xMax > 8 ? 2 : 1) * (plotWidth < 300 && xMax > 20 ? 2 : 1);
  for (let day = 0; day <= xMax; day += xStep) {
    const x = xScale(day);
    grid.append(el("line", { x1: x, x2: x, y1: top + plotHeight,
      y2: top + plotHeight + 4, class: "tick-mark" }));
    grid.append(el("text", { x, y: height - MARGIN.bottom + 16, class: "tick x" }, String(day)));
  }
  grid.append(el("text", { x: width - MARGIN.right, y: height - 3, class: "axis-label" }, xLabel));
  svg.append(grid);

  if (longest === 0) {
    svg.append(el("text", { x: MARGIN.left + plotWidth / 2, y: top + plotHeight / 2,
      class: "empty" }, emptyText));
  }

  const { positions } = legendLayout(series, width);
  for (const [index, line] of series.entries()) {
    const [legendX, legendRow] = positions[index];
    const legend = el("g", { class: "legend",
      transform: `translate(${legendX},${12 + legendRow * LEGEND_ROW})` });
    legend.append(el("rect", { width: 10, height: 10, y: -1, rx: 2, fill: line.color }));
    legend.append(el("text", { x: 14, y: 8 }, line.name));
    svg.append(legend);

    if (line.values.length === 0) continue;
    const d = line.values
      .map((point, i) => `${i ? "L" : "M"}${xScale(point.x).toFixed(1)},${yScale(point.y).toFixed(1)}`)
      .join(" ");
    svg.append(el("path", { d, class: "series", "data-series": line.name, stroke: line.color,
      "stroke-dasharray": line.dashed ? "5 3" : "none" }));
    const dots = el("g", { class: "dots", fill: line.color });
    for (const point of line.values) {
      const dot = el("circle", { cx: xScale(point.x), cy: yScale(point.y), r: 2.6 });
      dot.append(el("title", {}, `${line.name}, ${xLabel} ${point.x}: ${formatPoint(point.y)}`));
      dots.append(dot);
    }
    svg.append(dots);
  }
}
