// Execution console: lists executions, colours the state machine graph by state status, polls while running.
// Everything that comes from an execution is written with textContent (never parsed as HTML); the graph SVG is
// built and escaped by the server.
"use strict";

const POLL_MS = 2000;
const STATUSES = ["succeeded", "failed", "running", "caught", "not-reached"];
const view = { selected: null, graphFor: null, running: false, machines: [], lists: {} };

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

async function getJson(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) {
    const reason = response.headers.get("content-type") === "application/json" ? (await response.json()).error : "";
    throw new Error(`${url}: HTTP ${response.status} ${reason || ""}`);
  }
  return response.json();
}

function seconds(value) {
  if (value === null || value === undefined) return "";
  if (value < 1) return `${Math.round(value * 1000)} ms`;
  if (value < 120) return `${value.toFixed(1)} s`;
  return `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
}

function when(iso) { return iso ? new Date(iso).toLocaleString() : ""; }

function elapsed(start, stop) {
  if (!start) return null;
  return ((stop ? new Date(stop) : new Date()) - new Date(start)) / 1000;
}

function pretty(text) {
  if (text === null || text === undefined) return "";
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return String(text); }
}

function statusClass(status) { return String(status || "").toLowerCase().replace(/_/g, "-"); }

async function loadMachines() {
  const answer = await getJson("/api/machines");
  document.getElementById("source").textContent = answer.source;
  view.machines = answer.machines;
  await Promise.all(view.machines.map(async (machine) => {
    view.lists[machine.arn] = await getJson(`/api/executions?machine=${encodeURIComponent(machine.arn)}`);
  }));
  renderNav();
}

function renderNav() {
  const nav = document.getElementById("machines");
  nav.replaceChildren();
  for (const machine of view.machines) {
    nav.append(el("h2", {}, machine.name));
    const executions = view.lists[machine.arn] || [];
    if (!executions.length) nav.append(el("div", { class: "none" }, "no executions"));
    for (const execution of executions) {
      const link = el("a", { href: `#${encodeURIComponent(execution.executionArn)}` },
        el("span", { class: `pill ${statusClass(execution.status)}` }, execution.status),
        execution.name,
        el("span", { class: "when" }, `${when(execution.startDate)} · ${seconds(elapsed(execution.startDate, execution.stopDate))}`));
      link.dataset.arn = execution.executionArn;
      if (execution.executionArn === view.selected) link.classList.add("selected");
      nav.append(link);
    }
  }
}

async function defaultSelection() {
  const all = view.machines.flatMap((machine) => view.lists[machine.arn] || []);
  all.sort((a, b) => new Date(b.startDate) - new Date(a.startDate));
  const running = all.find((execution) => execution.status === "RUNNING");
  if (running) return running.executionArn;
  for (const execution of all.slice(0, 12)) {  // the newest one that went past its first steps
    const detail = await getJson(`/api/execution?arn=${encodeURIComponent(execution.executionArn)}`);
    if (Object.keys(detail.states).length > 3) return execution.executionArn;
  }
  return all.length ? all[0].executionArn : null;
}

async function renderGraph(machineArn) {
  if (view.graphFor === machineArn) return;
  const response = await fetch(`/api/graph.svg?machine=${encodeURIComponent(machineArn)}`, { cache: "no-store" });
  document.getElementById("graph").innerHTML = await response.text();  // escaped by the server (console/graph.py)
  view.graphFor = machineArn;
  for (const node of document.querySelectorAll("#graph g.state")) {
    node.addEventListener("click", () => showRow(node.getAttribute("data-state")));
  }
}

function showRow(name) {
  for (const row of document.querySelectorAll("#states tbody tr")) {
    const match = row.dataset.state === name;
    row.classList.toggle("flash", match);
    if (match) row.scrollIntoView({ block: "center" });
  }
}

function colourGraph(states) {
  for (const node of document.querySelectorAll("#graph g.state")) {
    const name = node.getAttribute("data-state");
    const summary = states[name];
    const status = summary ? summary.status : "not-reached";
    node.classList.remove(...STATUSES);
    node.classList.add(status);
    node.dataset.status = status;
    const badge = node.querySelector("text.badge");
    if (badge) {
      const parts = [];
      if (summary && summary.visits > 1) parts.push(`${summary.visits}×`);
      if (summary && summary.retries) parts.push(`↻${summary.retries}`);
      badge.textContent = parts.join(" ");
    }
    const title = node.querySelector("title");
    if (title) title.textContent = summary ? `${name}: ${status}, ${summary.visits} visit(s), ${seconds(summary.duration_seconds)}` : `${name}: not reached`;
  }
}

function stateRow(summary) {
  const error = el("td", { class: "cause" });
  if (summary.error) error.append(el("strong", {}, summary.error), " ");
  if (summary.cause) error.append(summary.cause);
  const data = el("td", {});
  if (summary.input !== null) data.append(el("details", {}, el("summary", {}, "input"), el("pre", {}, pretty(summary.input))));
  if (summary.output !== null) data.append(el("details", {}, el("summary", {}, "output"), el("pre", {}, pretty(summary.output))));
  const row = el("tr", {},
    el("td", {}, summary.name),
    el("td", {}, el("span", { class: `pill ${summary.status}` }, summary.status)),
    el("td", { class: "num" }, summary.visits),
    el("td", { class: "num" }, summary.retries),
    el("td", { class: "num" }, seconds(summary.duration_seconds)),
    error, data);
  row.dataset.state = summary.name;
  row.dataset.status = summary.status;
  return row;
}

async function renderExecution(arn) {
  const detail = await getJson(`/api/execution?arn=${encodeURIComponent(arn)}`);
  const execution = detail.execution;
  document.getElementById("empty").hidden = true;
  document.getElementById("execution").hidden = false;
  document.getElementById("exec-name").textContent = execution.name;
  const pill = document.getElementById("exec-status");
  pill.textContent = execution.status;
  pill.className = `pill ${statusClass(execution.status)}`;
  document.getElementById("exec-meta").textContent =
    `${execution.arn} · started ${when(execution.startDate)} · ${seconds(elapsed(execution.startDate, execution.stopDate))}` +
    ` · ${detail.events} history events`;
  const failed = Boolean(execution.error || execution.cause);
  document.getElementById("exec-error").hidden = !failed;
  document.getElementById("exec-error-name").textContent = execution.error || "";
  document.getElementById("exec-cause").textContent = execution.cause || "";
  document.getElementById("exec-input").textContent = pretty(execution.input);
  document.getElementById("exec-output").textContent = pretty(execution.output);

  await renderGraph(execution.machineArn);
  colourGraph(detail.states);

  const rows = Object.values(detail.states).sort((a, b) => a.first_entered.localeCompare(b.first_entered));
  document.querySelector("#states tbody").replaceChildren(...rows.map(stateRow));

  const note = detail.notification;
  document.getElementById("notification").hidden = !note;
  document.getElementById("notification-subject").textContent = note ? note.subject : "";
  document.getElementById("notification-message").textContent = note ? note.message : "";
  const chart = document.getElementById("chart");
  chart.hidden = !detail.chart;
  const image = document.getElementById("chart-img");
  const source = `/api/chart.png?arn=${encodeURIComponent(arn)}`;
  if (detail.chart && image.getAttribute("src") !== source) image.setAttribute("src", source);

  view.running = execution.status === "RUNNING";
  document.getElementById("refresh").textContent = view.running ? `running - refreshing every ${POLL_MS / 1000} s` : "";
  document.body.dataset.ready = arn;
  document.body.dataset.status = execution.status;
}

async function select(arn) {
  view.selected = arn;
  for (const link of document.querySelectorAll("nav a")) link.classList.toggle("selected", link.dataset.arn === arn);
  if (arn) await renderExecution(arn);
}

async function refresh() {
  try {
    await loadMachines();
    if (view.selected && view.running) await renderExecution(view.selected);
  } finally {
    setTimeout(refresh, POLL_MS);
  }
}

async function start() {
  await loadMachines();
  const fromHash = decodeURIComponent(location.hash.slice(1));
  await select(fromHash || (await defaultSelection()));
  window.addEventListener("hashchange", () => select(decodeURIComponent(location.hash.slice(1))));
  setTimeout(refresh, POLL_MS);
}

start().catch((error) => {
  document.getElementById("empty").textContent = `Could not load executions: ${error.message}`;
  document.body.dataset.ready = "error";
});
