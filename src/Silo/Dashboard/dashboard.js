// The Granary dashboard: asks the head for /api/status (the shape `granary status --json` prints) once a second
// and redraws every table. Plain script, no libraries: the head serves everything the page loads.
"use strict";

const RefreshMs = 1000;
const AskTimeoutMs = 5000;

// Builds an element; text goes in as text, never as markup, since names come from users' code.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function fill(tableId, rows, columns, emptyText) {
  const body = document.querySelector(`#${tableId} tbody`);
  body.replaceChildren(...(rows.length > 0 ? rows : [el("tr", {}, el("td", { class: "empty", colspan: columns }, emptyText))]));
}

function text(id, value) {
  document.getElementById(id).textContent = String(value);
}

const gib = bytes => (bytes / 1073741824).toFixed(1);
const mib = bytes => (bytes / 1048576).toFixed(1);
const gb = bytes => (bytes / 1e9).toFixed(1) + " GB";
const amount = (name, value) => name === "memory" ? gib(value) + " GiB" : Number(value.toFixed(2));

function bar(percent) {
  const clamped = Math.max(0, Math.min(100, percent));
  return el("span", { class: "bar" }, el("i", { style: `width:${clamped}%` }));
}

function resources(node) {
  const total = node.resources.total;
  return Object.keys(total).map(name => el("span", { class: "detail" }, `${name} ${amount(name, node.resources.inUse[name] ?? 0)} / ${amount(name, total[name])}`));
}

function gpus(node) {
  const samples = new Map((node.metrics?.gpus ?? []).map(g => [g.index, g]));
  return node.gpus.map(gpu => {
    const sample = samples.get(gpu.index);
    const used = gpu.measuredBytes === null || gpu.measuredBytes === undefined ? "-" : gb(gpu.measuredBytes);
    const load = sample ? `, ${sample.utilizationPercent.toFixed(0)}% busy` : "";
    return el("span", { class: "detail" },
      `${gpu.index}: ${gpu.type}${node.gpusSimulated ? " (simulated)" : ""}, ${used} used, ${gb(gpu.reservedBytes ?? 0)} reserved of ${gb(gpu.memoryBytes)}${load}`);
  });
}

function nodeRow(node) {
  const m = node.metrics;
  const dead = node.state === "dead";
  return el("tr", { "data-node": node.id, "data-state": node.state },
    el("td", {}, node.id, node.isHead ? " (head)" : ""),
    el("td", {}, el("span", { class: "state" }, node.detail), dead && node.deathReason ? el("span", { class: "detail" }, node.deathReason) : null),
    el("td", {}, node.orleans ? node.orleans.status : "-"),
    el("td", {}, node.address),
    el("td", {}, resources(node)),
    el("td", {}, node.gpus.length > 0 ? gpus(node) : "-"),
    el("td", { class: "node-tasks" }, dead ? "-" : `${node.tasks.running} running, ${node.tasks.queued} queued`),
    el("td", {}, dead ? "-" : [`${node.store.objects} objects, ${mib(node.store.memoryBytes)} MiB in memory`,
      el("span", { class: "detail" }, `${mib(node.store.spilledBytes)} MiB spilled, capacity ${(node.store.capacityBytes / 1048576).toFixed(0)} MiB`)]),
    el("td", {}, m ? [bar(m.cpuPercent), `${m.cpuPercent.toFixed(0)}%`, el("span", { class: "detail" }, `silo ${m.processCpuPercent.toFixed(1)}%`)] : "-"),
    el("td", {}, m ? [bar(100 * m.memoryUsedBytes / Math.max(1, m.memoryTotalBytes)), `${gib(m.memoryUsedBytes)} / ${gib(m.memoryTotalBytes)} GiB`,
      el("span", { class: "detail" }, `silo ${mib(m.processMemoryBytes)} MiB`)] : "-"));
}

function render(status) {
  text("cluster", status.clusterId + (status.persistent ? " (tables in Redis)" : ""));
  text("head", status.head);
  const nodes = [...status.nodes].sort((a, b) => (b.isHead - a.isHead) || a.id.localeCompare(b.id));
  text("alive", nodes.filter(n => n.state !== "dead").length);
  text("dead", nodes.filter(n => n.state === "dead").length);
  fill("nodes", nodes.map(nodeRow), 10, "no nodes");

  text("tasks-running", status.tasks.running);
  text("tasks-queued", status.tasks.queued);
  text("leases", status.tasks.leases);
  text("pending-leases", status.tasks.pendingLeaseRequests);
  fill("jobs", status.jobs.map(j => el("tr", { "data-job": j.id },
    el("td", {}, j.id), el("td", {}, new Date(j.startedAtUnixMs).toLocaleTimeString()), el("td", {}, j.actors))), 3, "no jobs");

  fill("actors", status.actors.map(a => el("tr", { "data-actor": a.id, "data-state": a.state },
    el("td", {}, a.id), el("td", {}, a.name || "-"), el("td", {}, a.class),
    el("td", {}, el("span", { class: "state" }, a.state), a.deathReason ? el("span", { class: "detail" }, a.deathReason) : null),
    el("td", {}, a.nodeId), el("td", {}, a.namespace), el("td", {}, a.lifetime), el("td", {}, a.jobId))), 8, "no actors");

  fill("groups", status.placementGroups.map(g => el("tr", {},
    el("td", {}, g.id), el("td", {}, g.name || "-"), el("td", {}, g.strategy),
    el("td", {}, g.bundles.map(b => el("span", { class: "detail" },
      `${b.index}: ${Object.entries(b.resources).map(([k, v]) => `${k} ${amount(k, v)}`).join(", ")} on ${b.nodeId || "-"}`))))), 4, "no placement groups");

  fill("profiles", status.gpuProfiles.map(p => el("tr", {},
    el("td", {}, p.jobType), el("td", {}, p.state), el("td", {}, p.peakBytes > 0 ? gb(p.peakBytes) : "-"),
    el("td", {}, p.runs), el("td", {}, p.failures), el("td", {}, p.outOfMemory), el("td", {}, p.lastError || "-"))), 7, "no GPU memory profiles");
}

function problem(message) {
  const line = document.getElementById("problem");
  line.hidden = message === null;
  line.textContent = message ?? "";
}

async function refresh() {
  try {
    const response = await fetch("api/status", { cache: "no-store", signal: AbortSignal.timeout(AskTimeoutMs) });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
    render(body);
    text("updated", new Date().toLocaleTimeString());
    problem(null);
  } catch (error) {
    // Keep the last figures on screen and say why they are old; the next tick tries again.
    problem(`(${error.message}; retrying)`);
  } finally {
    setTimeout(refresh, RefreshMs);
  }
}

refresh();
