// The play view: one episode per browser tab, driven through the server's HTTP routes.
//
// The tab keeps its episode_id (and the observations so far, for the charts) in sessionStorage,
// so each tab plays its own episode and a reload picks up where it left off. Every rule of the
// game lives on the server: this page only collects decisions, sends them, and draws what the
// observations say.

import { compactNumber, drawLineChart } from "./charts.js";

// The GET /tasks catalogue (without the wire schemas), embedded by the server, plus the
// per-product lookups this page reads often.
const CATALOGUE = JSON.parse(document.getElementById("play-config").textContent);
const CONFIG = {
  ...CATALOGUE,
  products: CATALOGUE.products.map((product) => product.name),
  sell_price: Object.fromEntries(CATALOGUE.products.map((p) => [p.name, p.sell_price])),
  shelf_life: Object.fromEntries(CATALOGUE.products.map((p) => [p.name, p.shelf_life_days])),
  event_days: Object.fromEntries(CATALOGUE.events.map((e) => [e.name, e.duration_days])),
};
const STORAGE_KEY = "inventory-play-v1";
const PRODUCT_COLORS = ["#2563eb", "#db2777", "#16a34a", "#b45309", "#7c3aed"];
const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const $ = (id) => document.getElementById(id);

/** The tab's episode: null until the first reset. */
let episode = loadEpisode();
let busy = false;

// ------------------------------------------------------------------ persistence
function loadEpisode() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
    return saved && saved.episodeId && Array.isArray(saved.history) ? saved : null;
  } catch {
    return null;
  }
}

function saveEpisode() {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(episode));
  } catch {
    // Storage full or disabled: the episode still plays, it just won't survive a reload.
  }
}

// ------------------------------------------------------------------ server calls
class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Turn FastAPI's {detail} (a string, or a list of validation errors) into one readable line. */
function describeDetail(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item) => {
        if (typeof item !== "object" || item === null) return String(item);
        const path = Array.isArray(item.loc) ? item.loc.filter((p) => p !== "body") : [];
        const message = String(item.msg ?? JSON.stringify(item)).replace(/^Value error, /, "");
        const named = path.length === 0 || message.includes(String(path[path.length - 1]));
        return named ? message : `${path.join(".")}: ${message}`;
      })
      .join("; ");
  }
  return detail === undefined ? "" : JSON.stringify(detail);
}

async function post(path, body) {
  const options = { method: "POST", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    throw new ApiError(0, `Could not reach the server (${error.message}).`);
  }
  const text = await response.text();
  let payload = null;
  try {
    payload = text ? JSON.parse(text) : null;
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const detail = payload && "detail" in payload ? describeDetail(payload.detail) : text;
    throw new ApiError(response.status, detail || `${response.status} ${response.statusText}`);
  }
  return payload;
}

// ------------------------------------------------------------------ controls
function taskConfig(name) {
  return CONFIG.tasks.find((task) => task.name === name) ?? CONFIG.tasks[0];
}

function numberInput(id, label, attributes) {
  const input = document.createElement("input");
  Object.assign(input, { id, type: "number", ...attributes });
  input.dataset.testid = id;
  input.setAttribute("aria-label", label);
  return input;
}

function buildControls() {
  const taskSelect = $("task-select");
  for (const task of CONFIG.tasks) {
    taskSelect.append(new Option(`${task.name} — ${task.title}`, task.name));
  }
  taskSelect.addEventListener("change", showTaskDescription);

  for (const option of CONFIG.shipping) {
    const days = option.min_days === option.max_days
      ? `${option.min_days} day` : `${option.min_days}–${option.max_days} days`;
    $("shipping-select").append(
      new Option(`${option.method} — ${money.format(option.cost_per_unit)}/unit, ${days}`,
        option.method));
  }

  const demandSelect = $("demand-product-select");
  demandSelect.append(new Option("all products", ""));
  for (const product of CONFIG.products) demandSelect.append(new Option(product, product));
  demandSelect.addEventListener("change", drawCharts);

  const { min, max } = CONFIG.price_multiplier;
  const rows = $("decision-rows");
  for (const product of CONFIG.products) {
    const row = document.createElement("tr");
    row.dataset.testid = `row-${product}`;
    const name = document.createElement("th");
    name.scope = "row";
    name.innerHTML = `<span class="product">${product}</span>` +
      `<span class="muted small">${money.format(CONFIG.sell_price[product])}` +
      `${CONFIG.shelf_life[product] ? `, keeps ${CONFIG.shelf_life[product]} days` : ""}</span>`;
    row.append(name);
    for (const kind of ["onhand", "transit", "space"]) {
      const cell = document.createElement("td");
      cell.id = `${kind}-${product}`;
      cell.dataset.testid = cell.id;
      cell.className = "num";
      cell.textContent = "–";
      row.append(cell);
    }
    const inputs = [
      numberInput(`buy-${product}`, `Units of ${product} to buy`,
        { min: 0, step: 1, placeholder: "0" }),
      numberInput(`liquidate-${product}`, `Units of ${product} to liquidate`,
        { min: 0, step: 1, placeholder: "0" }),
      numberInput(`price-${product}`, `Price multiplier for ${product} (${min} to ${max})`,
        { min, max, step: 0.05, value: "1.0" }),
    ];
    for (const input of inputs) {
      const cell = document.createElement("td");
      cell.append(input);
      row.append(cell);
    }
    rows.append(row);
  }

  $("reset-form").addEventListener("submit", (event) => {
    event.preventDefault();
    resetEpisode();
  });
  $("step-form").addEventListener("submit", (event) => {
    event.preventDefault();
    advanceDay();
  });
  $("play-rest-btn").addEventListener("click", playRestPassively);
}

function showTaskDescription() {
  const task = taskConfig($("task-select").value);
  $("task-description").textContent =
    `${task.title}: ${task.description} ` +
    (task.default_seed === null
      ? "Scenarios are hidden: without a seed the server picks one."
      : `Default seed ${task.default_seed}.`);
  $("seed-input").placeholder =
    task.default_seed === null ? "hidden" : `default (${task.default_seed})`;
}

function seedLabel(episode) {
  return episode.seed === null || episode.seed === undefined
    ? "hidden scenario"
    : `seed ${episode.seed}`;
}

function setBusy(value) {
  busy = value;
  document.querySelector("main").setAttribute("aria-busy", String(value));
  const playing = episode !== null && !episode.done;
  $("reset-btn").disabled = value;
  $("step-btn").disabled = value || !playing;
  $("play-rest-btn").disabled = value || !playing;
}

function showError(message) {
  const box = $("error-box");
  box.textContent = message;
  box.hidden = !message;
}

/** Today's decisions from the inputs; only non-default values are sent. */
function readAction() {
  const action = {
    buy_quantities: {},
    delivery_method: $("shipping-select").value,
    liquidate: {},
    price_multipliers: {},
  };
  const fields = [
    ["buy", "buy_quantities", 0, "buy quantity"],
    ["liquidate", "liquidate", 0, "liquidate quantity"],
    ["price", "price_multipliers", 1, "price multiplier"],
  ];
  for (const product of CONFIG.products) {
    for (const [prefix, key, neutral, what] of fields) {
      const input = $(`${prefix}-${product}`);
      const raw = input.value.trim();
      if (raw === "") {
        if (input.validity.badInput) throw new Error(`The ${what} for ${product} is not a number.`);
        continue;
      }
      const value = Number(raw);
      if (!Number.isFinite(value)) throw new Error(`The ${what} for ${product} is not a number.`);
      if (value !== neutral) action[key][product] = value;
    }
  }
  return action;
}

function clearOneDayInputs() {
  for (const product of CONFIG.products) {
    $(`buy-${product}`).value = "";
    $(`liquidate-${product}`).value = "";
  }
}

// ------------------------------------------------------------------ episode flow
async function resetEpisode() {
  const taskName = $("task-select").value;
  const seedText = $("seed-input").value.trim();
  const body = { task_name: taskName };
  if (seedText !== "") body.seed = Number(seedText);
  showError("");
  setBusy(true);
  try {
    const result = await post("reset", body);
    episode = {
      episodeId: result.episode_id,
      task: taskName,
      seed: seedText === "" ? taskConfig(taskName).default_seed : Number(seedText),
      history: [result.observation],
      rewards: [result.reward ?? 0],
      done: Boolean(result.done),
      score: null,
    };
    for (const product of CONFIG.products) $(`price-${product}`).value = "1.0";
    clearOneDayInputs();
    saveEpisode();
    render();
  } catch (error) {
    showError(`Reset failed: ${error.message}`);
  } finally {
    setBusy(false);
  }
}

/** Send one day's action; returns false (and shows why) when the server refused it. */
async function stepOnce(action) {
  try {
    const result = await post("step", { action, episode_id: episode.episodeId });
    episode.history.push(result.observation);
    episode.rewards.push(result.reward ?? 0);
    episode.done = Boolean(result.done);
    saveEpisode();
    return true;
  } catch (error) {
    const hint = error.status === 404 ? " The episode may have expired: press Reset." : "";
    showError(`The day was not played: ${error.message}${hint}`);
    return false;
  }
}

async function advanceDay() {
  if (busy || !episode || episode.done) return;
  let action;
  try {
    action = readAction();
  } catch (error) {
    showError(error.message);
    return;
  }
  showError("");
  setBusy(true);
  const played = await stepOnce(action);
  if (played) clearOneDayInputs();
  render();
  setBusy(false);
  if (episode.done) await gradeEpisode();
}

async function playRestPassively() {
  if (busy || !episode || episode.done) return;
  showError("");
  setBusy(true);
  while (!episode.done && (await stepOnce({}))) render();
  render();
  setBusy(false);
  if (episode.done) await gradeEpisode();
}

async function gradeEpisode() {
  $("score-panel").hidden = false;
  $("score-status").textContent =
    "Scoring… the ceiling is a perfect-information optimum, solved on the server.";
  setBusy(true);
  try {
    // An episode played here is graded by its id, from the profit the server booked itself
    // ("verified"); a replayed trace has no server episode, so its profit is claimed.
    const last = episode.history[episode.history.length - 1];
    const query = episode.episodeId
      ? new URLSearchParams({ episode_id: episode.episodeId })
      : new URLSearchParams({
          task_name: episode.task,
          agent_profit: String(last.total_profit),
          seed: String(episode.seed),
        });
    episode.score = await post(`grader?${query}`);
    saveEpisode();
  } catch (error) {
    $("score-status").textContent = `Scoring failed: ${error.message}`;
  } finally {
    setBusy(false);
  }
  renderScore();
}

// ------------------------------------------------------------------ rendering
function batchesText(batches) {
  if (!batches || batches.length === 0) return "";
  return batches
    .map(([quantity, daysLeft]) => (daysLeft === null ? `${quantity}` : `${quantity}·${daysLeft}d`))
    .join(", ");
}

function sumBatches(batches) {
  return (batches ?? []).reduce((total, [quantity]) => total + quantity, 0);
}

function listItems(list, items, emptyText) {
  list.replaceChildren();
  if (items.length === 0) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = emptyText;
    list.append(li);
    return;
  }
  for (const item of items) {
    const li = document.createElement("li");
    li.textContent = item.text;
    if (item.className) li.className = item.className;
    if (item.title) li.title = item.title;
    list.append(li);
  }
}

/** Countdowns count from the day being decided: 0 or -1 = active on it, <= -2 = over.
 * They count to the announced days; with the task's event_forecast those are a forecast. */
function eventChip(name, countdown, day, forecast) {
  const label = name.replaceAll("_", " ");
  const lastDay = day + countdown + CONFIG.event_days[name] - 1;
  if (countdown < 0 && lastDay < day) return { text: `${label}: over`, className: "chip over" };
  const chip = countdown <= 0
    ? { text: `${label}: active on day ${day}`, className: "chip active" }
    : { text: `${label}: days ${day + countdown}–${lastDay}`, className: "chip" };
  if (!forecast) return chip;
  const [early, late] = forecast.start_offsets;
  return {
    text: `${chip.text} (forecast)`,
    className: `${chip.className} forecast`,
    title: `Announced days, a forecast: the event starts ${early} to ${late} days from them ` +
      `and its effect is ×${forecast.size_factors.join(", ×")} of the published one.`,
  };
}

// An announced supplier cost change: the unit cost of orders placed on its days.
function costChip(notice, day) {
  const days = notice.first_day === notice.last_day
    ? `day ${notice.first_day}` : `days ${notice.first_day}–${notice.last_day}`;
  return {
    text: `${notice.product} unit cost ×${notice.cost_multiplier}: ${days}`,
    className: notice.first_day <= day ? "chip active" : "chip",
  };
}

function renderStatus(obs, reward) {
  const days = CONFIG.episode_days;
  $("stat-day").textContent = episode.done
    ? `${obs.current_day} · done` : `${obs.current_day} · ${days - obs.current_day} left`;
  $("stat-day").dataset.day = String(obs.current_day);
  $("stat-cash").textContent = money.format(obs.total_cash);
  $("stat-profit").textContent = money.format(obs.total_profit);
  $("stat-profit").className = `stat-value ${obs.total_profit < 0 ? "neg" : "pos"}`;
  $("stat-day-profit").textContent = money.format(obs.day_profit);
  $("stat-reward").textContent = Number(reward).toFixed(3);
  $("stat-episode").textContent =
    `${episode.task}, ${seedLabel(episode)}${episode.done ? " (done)" : ""}`;
  $("stat-episode").title = `episode_id ${episode.episodeId}`;
}

function renderProducts(obs) {
  const transit = {};
  for (const delivery of obs.updated_deliveries ?? []) {
    transit[delivery.product] = (transit[delivery.product] ?? 0) + delivery.quantity;
  }
  for (const product of CONFIG.products) {
    const batches = obs.updated_inventory?.[product] ?? [];
    const total = sumBatches(batches);
    const shown = CONFIG.shelf_life[product] ? ` (${batchesText(batches)})` : "";
    $(`onhand-${product}`).textContent = batches.length ? `${total}${shown}` : "0";
    $(`transit-${product}`).textContent = String(transit[product] ?? 0);
    $(`space-${product}`).textContent = String(obs.remaining_capacity?.[product] ?? "–");
  }
}

/** Newest first, each line tagged with the day it happened on (reset notes: "start"). */
function dayLog(pick) {
  const lines = [];
  for (const obs of [...episode.history].reverse()) {
    const when = obs.current_day === 0 ? "start" : `day ${obs.current_day - 1}`;
    for (const item of pick(obs)) lines.push({ ...item, text: `${when}: ${item.text}` });
  }
  return lines;
}

function renderToday(obs) {
  listItems($("messages"), dayLog((o) => (o.notes ?? []).map((text) => ({ text }))),
    "No messages.");
  listItems(
    $("rejections"),
    dayLog((o) => (o.rejected_orders ?? []).map((order) => ({
      text: `${order.product}: ${order.quantity} units` +
        `${order.cost !== undefined ? ` (${money.format(order.cost)})` : ""} — ${order.reason}`,
      className: "warn",
    }))),
    "None so far.",
  );
  listItems(
    $("events"),
    [
      ...Object.entries(obs.updated_events ?? {}).map(([name, countdown]) =>
        eventChip(name, countdown, obs.current_day, taskConfig(episode.task).event_forecast)),
      ...(obs.cost_notices ?? []).map((notice) => costChip(notice, obs.current_day)),
    ],
    "No events in this task.",
  );
  const body = $("deliveries");
  body.replaceChildren();
  const deliveries = obs.updated_deliveries ?? [];
  if (deliveries.length === 0) {
    const row = body.insertRow();
    const cell = row.insertCell();
    cell.colSpan = 5;
    cell.className = "muted";
    cell.textContent = "Nothing on the way.";
  }
  for (const delivery of deliveries) {
    const row = body.insertRow();
    const window = delivery.earliest_arrival_day === delivery.latest_arrival_day
      ? `${delivery.earliest_arrival_day}`
      : `${delivery.earliest_arrival_day}–${delivery.latest_arrival_day}`;
    for (const text of [delivery.product, delivery.quantity, delivery.method,
      delivery.ordered_day, window]) {
      row.insertCell().textContent = String(text);
    }
  }
}

function drawCharts() {
  const history = episode ? episode.history : [];
  const xMax = CONFIG.episode_days;
  const empty = "Reset to start an episode";
  // Stock, cash and profit are states: at x = d they are what day d starts with (x = 30 is the
  // end of the month). Demand and sales are flows: at x = d they are what happened on day d.
  const states = (pick) => history.map((obs) => ({ x: obs.current_day, y: pick(obs) }));
  const flows = (pick) => history.slice(1).map((obs) => ({ x: obs.current_day - 1, y: pick(obs) }));
  const dollars = { formatY: (v) => `$${compactNumber(v)}`, formatPoint: (v) => money.format(v) };

  drawLineChart($("chart-stock"), {
    xMax,
    emptyText: empty,
    xLabel: "start of day",
    series: CONFIG.products.map((product, i) => ({
      name: product,
      color: PRODUCT_COLORS[i % PRODUCT_COLORS.length],
      values: states((obs) => sumBatches(obs.updated_inventory?.[product])),
    })),
  });
  drawLineChart($("chart-cash"), {
    xMax,
    emptyText: empty,
    xLabel: "start of day",
    ...dollars,
    series: [{ name: "cash", color: "#0f766e", values: states((obs) => obs.total_cash) }],
  });
  const chosen = $("demand-product-select").value;
  const total = (perProduct) => (chosen
    ? perProduct?.[chosen] ?? 0
    : Object.values(perProduct ?? {}).reduce((a, b) => a + b, 0));
  drawLineChart($("chart-demand"), {
    xMax,
    emptyText: empty,
    // Demand last, dashed, so it stays visible where it coincides with sales or misses.
    series: [
      { name: "sold", color: "#16a34a", values: flows((obs) => total(obs.units_sold)) },
      { name: "missed", color: "#dc2626", values: flows((obs) => total(obs.units_missed)) },
      { name: "demand", color: "#7c3aed", dashed: true,
        values: flows((obs) => total(obs.demand_today)) },
    ],
  });
  drawLineChart($("chart-profit"), {
    xMax,
    emptyText: empty,
    xLabel: "start of day",
    ...dollars,
    series: [{ name: "profit", color: "#1d4ed8", values: states((obs) => obs.total_profit) }],
  });
}

function renderScore() {
  const panel = $("score-panel");
  if (!episode || !episode.done) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  const score = episode.score;
  const last = episode.history[episode.history.length - 1];
  $("score-profit").textContent = money.format(last.total_profit);
  if (!score) {
    for (const id of ["score-floor", "score-ceiling", "score-value", "score-unclamped"]) {
      $(id).textContent = "–";
    }
    return;
  }
  $("score-status").textContent =
    `Task ${episode.task}, ${seedLabel(episode)}: 0 = the passive floor, 1 = the ceiling` +
    (score.verified ? " (verified: graded by the server from its own episode)." : ".");
  $("score-floor").textContent = money.format(score.floor);
  $("score-ceiling").textContent = money.format(score.ceiling);
  $("score-value").textContent = Number(score.score).toFixed(3);
  $("score-unclamped").textContent =
    score.unclamped_score === undefined ? "–" : Number(score.unclamped_score).toFixed(3);
}

function render() {
  if (!episode) {
    listItems($("messages"), [], "Pick a task and press Reset to start an episode.");
    drawCharts();
    return;
  }
  const last = episode.history.length - 1;
  const obs = episode.history[last];
  $("task-select").value = episode.task;
  renderStatus(obs, episode.rewards[last] ?? 0);
  renderProducts(obs);
  renderToday(obs);
  drawCharts();
  renderScore();
}

// ------------------------------------------------------------------ traces
const TRACE_SCHEMA = "inventory-trace/1";

/**
 * The first episode of an `inventory-trace/1` file (JSON lines: a header with the reset
 * observation, one line per day with action, observation and reward, a footer with the
 * profit and grade), as this page's episode. Throws an Error saying what is wrong.
 */
export function episodeFromTrace(text) {
  const records = [];
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === "") continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      throw new Error(`line ${index + 1} is not JSON`);
    }
  }
  const start = records.findIndex((record) => record && record.type === "header");
  if (start < 0) throw new Error("no header line: not an inventory trace");
  const header = records[start];
  if (header.schema !== TRACE_SCHEMA) {
    throw new Error(`schema ${JSON.stringify(header.schema)}, expected ${TRACE_SCHEMA}`);
  }
  if (!header.observation) throw new Error("the header has no reset observation");
  const steps = [];
  let footer = null;
  for (const record of records.slice(start + 1)) {
    if (!record || record.type === "header") break;
    if (record.type === "footer") {
      footer = record;
      break;
    }
    if (record.type === "step" && record.observation) steps.push(record);
  }
  const episodes = records.filter((record) => record && record.type === "header").length;
  return {
    episodeId: null,
    replay: { agent: header.agent ?? "unknown", episodes, error: footer?.error ?? null },
    task: header.task,
    seed: header.seed ?? taskConfig(header.task)?.default_seed,
    history: [header.observation, ...steps.map((step) => step.observation)],
    rewards: [0, ...steps.map((step) => step.reward ?? 0)],
    done: true,
    score: footer?.grade ?? null,
  };
}

async function loadTrace(file) {
  showError("");
  try {
    const loaded = episodeFromTrace(await file.text());
    if (!CONFIG.tasks.some((task) => task.name === loaded.task)) throw new Error(`unknown task ${JSON.stringify(loaded.task)}`);
    episode = loaded;
    render();
    const { agent, episodes, error } = loaded.replay;
    const more = episodes > 1 ? ` (the first of ${episodes} episodes in the file)` : "";
    $("task-description").textContent =
      `Replaying a trace of agent ${agent} on ${loaded.task}, seed ${loaded.seed}: ` +
      `${loaded.history.length - 1} days${more}${error ? `; it ended with: ${error}` : ""}. ` +
      "Press Reset to play an episode yourself.";
    setBusy(false);
    if (!episode.score && episode.history.length - 1 === CONFIG.episode_days) {
      await gradeEpisode();
    }
  } catch (error) {
    showError(`The trace could not be read: ${error.message}`);
  }
}

// ------------------------------------------------------------------ start
buildControls();
$("trace-input").addEventListener("change", (event) => {
  const file = event.target.files?.[0];
  if (file) loadTrace(file);
  event.target.value = "";
});
if (episode) {
  // A reloaded tab: show its task and the prices that were in force on its last day.
  $("task-select").value = episode.task;
  const prices = episode.history[episode.history.length - 1].price_multipliers ?? {};
  for (const product of CONFIG.products) {
    $(`price-${product}`).value = String(prices[product] ?? 1).replace(/^1$/, "1.0");
  }
}
showTaskDescription();
render();
setBusy(false);
if (episode && episode.done && !episode.score) gradeEpisode();
document.body.dataset.ready = "true";
