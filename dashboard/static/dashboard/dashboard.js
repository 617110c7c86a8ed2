// Draws the dashboard's charts with Chart.js from the same data endpoints the download
// links point to. window.labCharts lists every chart drawn and how many points it holds,
// so a browser test can check that the charts drew with data.
"use strict";

window.labCharts = [];
const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777",
                 "#4b5563", "#65a30d"];

function register(canvas, chart, id) {
  const points = chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0);
  const entry = { id: id || canvas.dataset.chart || canvas.dataset.claimChart, points: points };
  const previous = window.labCharts.findIndex((c) => id && c.id === id);  // a chart redrawn replaces its entry
  if (previous >= 0) window.labCharts[previous] = entry; else window.labCharts.push(entry);
  canvas.dataset.points = String(points);
}

// A legend that fits a small chart: small boxes and type, long series labels shortened.
const SMALL_LEGEND = { position: "bottom", labels: { boxWidth: 8, font: { size: 10 } } };

function groupBy(rows, key) {
  const groups = new Map();
  for (const row of rows) {
    const k = typeof key === "function" ? key(row) : row[key];
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(row);
  }
  return groups;
}

function lineChart(canvas, datasets, xTitle, yTitle, xType) {
  const chart = new Chart(canvas, {
    type: "line",
    data: { datasets: datasets },
    options: {
      animation: false, parsing: false, normalized: true,
      interaction: { mode: "nearest", intersect: false },
      scales: {
        x: { type: xType || "linear", title: { display: true, text: xTitle } },
        y: { beginAtZero: true, title: { display: true, text: yTitle } },
      },
      plugins: { legend: SMALL_LEGEND },
    },
  });
  register(canvas, chart);
}

function seriesDatasets(rows, seriesKey, x, y) {
  let i = 0;
  return Array.from(groupBy(rows, seriesKey), ([label, group]) => ({
    label: label, borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i++ % PALETTE.length],
    pointRadius: 0, borderWidth: 1.5,
    data: group.filter((r) => r[y] !== null && r[y] !== undefined).map((r) => ({ x: r[x], y: r[y] })),
  }));
}

// A report file carries its chart data inside it (no server, no network): keyed "chart?query".
const embedded = document.getElementById("lab-report-data");
const EMBEDDED = embedded ? JSON.parse(embedded.textContent) : null;

const cache = new Map();
function fetchJson(url) {
  if (!cache.has(url)) {
    cache.set(url, fetch(url).then((r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return r.json();
    }));
  }
  return cache.get(url);
}

function fetchRows(chart, query) {
  if (EMBEDDED) return Promise.resolve(EMBEDDED[`${chart}?${query}`] || []);
  return fetchJson(`/dashboard/data/compare/${chart}?${query}`).then((body) => body.rows);
}

// An experiment's small multiples are drawn when its section is open (a whole run has dozens).
function drawWhenOpen(container) {
  const details = container.closest("details");
  if (!details || details.open) return drawCompare(container);
  details.addEventListener("toggle", () => {
    if (details.open && !container.dataset.drawn) drawCompare(container).catch((err) => console.error(err));
  });
  return Promise.resolve();
}

async function drawCompare(container) {
  container.dataset.drawn = "yes";
  const query = container.dataset.query;
  for (const canvas of container.querySelectorAll("canvas[data-chart]")) {
    const kind = canvas.dataset.chart;
    const rows = await fetchRows(kind, query);
    if (kind === "timeseries") {
      const y = canvas.dataset.y;
      lineChart(canvas, seriesDatasets(rows, (r) => `${r.series} · ${r.endpoint}`, "t", y), "seconds", canvas.dataset.unit);
    } else if (kind === "cdf") {
      lineChart(canvas, seriesDatasets(rows, (r) => `${r.series} · ${r.endpoint}`, "ms", "fraction"),
                "response time (ms, log)", "fraction of requests", "logarithmic");
    } else if (kind === "server") {
      const y = canvas.dataset.y;
      lineChart(canvas, seriesDatasets(rows, "series", "t", y), "seconds since the experiment began", canvas.dataset.unit);
    }
  }
}

function drawClaimCharts() {
  for (const canvas of document.querySelectorAll("canvas[data-claim-chart]")) {
    const spec = JSON.parse(document.getElementById(canvas.dataset.claimChart).textContent);
    const chart = new Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map((d, i) => ({ label: d.label, data: d.data, backgroundColor: PALETTE[i] })),
      },
      options: {
        animation: false, indexAxis: "y",
        scales: { x: { beginAtZero: true, stacked: !!spec.stacked, title: { display: true, text: spec.unit } },
                  y: { stacked: !!spec.stacked } },
        plugins: { legend: { display: spec.datasets.length > 1, position: "bottom", labels: { boxWidth: 12 } },
                   title: { display: true, text: spec.title } },
      },
    });
    register(canvas, chart);
  }
}

// --- The front page: per workload, latency against throughput, the knee, the percentiles --------
function curveCanvas(container, kind, workload) {
  return container.querySelector(`canvas[data-curve="${kind}"][data-workload="${CSS.escape(workload)}"]`);
}

const fmt = (v, digits) => (v === null || v === undefined ? "-" : v.toLocaleString("en", { maximumFractionDigits: digits }));

function latencyChart(canvas, w, color, slo) {
  const datasets = [];
  let right = 0;
  for (const s of w.stacks) {
    const line = s.curve.filter((p) => p.achieved !== null);
    right = Math.max(right, ...line.map((p) => p.achieved));
    for (const [which, dash] of [["p99", []], ["p50", [4, 3]]]) {
      datasets.push({
        label: which === "p99" ? s.stack : `${s.stack} p50`, borderColor: color(s.stack), backgroundColor: color(s.stack),
        borderDash: dash, borderWidth: which === "p99" ? 2 : 1.2, pointRadius: which === "p99" ? 3 : 2,
        data: line.filter((p) => p[which] !== null).map((p) => ({ x: p.achieved, y: p[which], offered: p.offered, which: which })),
      });
    }
  }
  datasets.push({ label: `SLO ${slo} ms`, borderColor: "#9ca3af", borderDash: [2, 2], borderWidth: 1, pointRadius: 0,
                  data: [{ x: 0, y: slo }, { x: right * 1.05 || 1, y: slo }] });
  const chart = new Chart(canvas, {
    type: "line", data: { datasets: datasets },
    options: {
      animation: false, parsing: false, interaction: { mode: "nearest", intersect: false },
      scales: { x: { type: "linear", beginAtZero: true, title: { display: true, text: "achieved req/s" } },
                y: { type: "logarithmic", title: { display: true, text: "latency ms (corrected)" } } },
      plugins: {
        legend: { ...SMALL_LEGEND, labels: { ...SMALL_LEGEND.labels, filter: (item) => !item.text.endsWith(" p50") } },
        tooltip: { callbacks: { label: (c) => c.raw.which
          ? `${c.dataset.label.replace(/ p50$/, "")} ${c.raw.which}: ${fmt(c.raw.y, 1)} ms at ${fmt(c.raw.x, 0)} req/s (offered ${fmt(c.raw.offered, 0)})`
          : c.dataset.label } },
      },
    },
  });
  register(canvas, chart, `latency:${w.workload}`);
}

function kneeChart(canvas, w, color) {
  const labels = w.stacks.map((s) => (s.knee ? (s.knee.lower_bound ? `${s.stack} (≥, lower bound)` : s.stack)
                                             : `${s.stack} (none within SLO)`));
  const chart = new Chart(canvas, {
    type: "bar",
    data: { labels: labels, datasets: [
      { label: "knee (median req/s)", data: w.stacks.map((s) => (s.knee ? s.knee.median : null)),
        backgroundColor: w.stacks.map((s) => color(s.stack)), grouped: false, barPercentage: 0.7 },
      { label: "range over repeats", data: w.stacks.map((s) => (s.knee ? [s.knee.low, s.knee.high] : null)),
        backgroundColor: "#111827", grouped: false, barPercentage: 0.12, minBarLength: 2 },
    ] },
    options: {
      animation: false, indexAxis: "y",
      scales: { x: { beginAtZero: true, title: { display: true, text: "req/s at the knee" } } },
      plugins: { legend: { display: false },
                 tooltip: { callbacks: { label: (c) => (Array.isArray(c.raw) ? `range ${fmt(c.raw[0], 0)}–${fmt(c.raw[1], 0)}`
                                                                               : `knee ${fmt(c.raw, 0)} req/s`) } } },
    },
  });
  register(canvas, chart, `knee:${w.workload}`);
}

// x = 1/(1-percentile): 10 is the 90th percentile, 100 the 99th, each decade one more nine.
function ninesLabel(x) {
  const n = Math.log10(x);
  if (Math.abs(n - Math.round(n)) > 1e-9 || Math.round(n) < 1) return "";
  return `${Number((100 - 100 / x).toPrecision(8))}%`;
}

const drawnDistributions = new Map();
async function distributionChart(canvas, base, workload, step, color) {
  const body = await fetchJson(`/dashboard/data/curves/distribution?${base}&workload=${encodeURIComponent(workload)}&step=${step}`);
  const datasets = [];
  for (const [key, rows] of groupBy(body.rows, (r) => `${r.stack}|${r.kind}`)) {
    const [stack, kind] = key.split("|");
    const first = rows[0];
    const where = `step ${first.index + 1}, ${fmt(first.offered, 0)}/s offered${first.valid ? "" : ", INVALID"}`;
    datasets.push({
      label: kind === "corrected" ? `${stack} (${where})` : `${stack} uncorrected`, borderColor: color(stack),
      backgroundColor: color(stack), borderDash: kind === "corrected" ? [] : [5, 3], borderWidth: kind === "corrected" ? 2 : 1.2,
      pointRadius: 0, data: rows.map((r) => ({ x: r.x, y: Math.max(r.ms, 0.001), p: r.percentile })),
    });
  }
  if (drawnDistributions.has(canvas)) drawnDistributions.get(canvas).destroy();
  const chart = new Chart(canvas, {
    type: "line", data: { datasets: datasets },
    options: {
      animation: false, parsing: false, interaction: { mode: "nearest", intersect: false },
      scales: { x: { type: "logarithmic", min: 1, title: { display: true, text: "percentile (log of 1/(1-p): one decade per nine)" },
                     ticks: { autoSkip: false, maxRotation: 0, callback: ninesLabel } },
                y: { type: "logarithmic", title: { display: true, text: "latency ms" } } },
      plugins: {
        legend: { ...SMALL_LEGEND, labels: { ...SMALL_LEGEND.labels, filter: (item) => !item.text.endsWith(" uncorrected") } },
        tooltip: { callbacks: { label: (c) => `${c.dataset.label}: p${fmt(c.raw.p, 3)} = ${fmt(c.raw.y, 2)} ms` } },
      },
    },
  });
  drawnDistributions.set(canvas, chart);
  register(canvas, chart, `distribution:${workload}`);
}

async function drawFront(container) {
  const base = `run=${container.dataset.run}&slo=${encodeURIComponent(container.dataset.slo)}`;
  const data = await fetchJson(`/dashboard/data/curves?${base}`);
  const color = (stack) => PALETTE[data.stacks.indexOf(stack) % PALETTE.length];
  for (const w of data.workloads) {
    latencyChart(curveCanvas(container, "latency", w.workload), w, color, data.slo_ms);
    kneeChart(curveCanvas(container, "knee", w.workload), w, color);
    const canvas = curveCanvas(container, "distribution", w.workload);
    await distributionChart(canvas, base, w.workload, "knee", color);
    const select = container.querySelector(`select.step[data-workload="${CSS.escape(w.workload)}"]`);
    select.addEventListener("change", () => {
      const link = select.closest("figure").querySelector("a[data-distribution-link]");
      link.href = link.href.replace(/step=[^&]*/, `step=${select.value}`);
      distributionChart(canvas, base, w.workload, select.value, color).catch((err) => console.error(err));
    });
  }
}

// A select that picks what the page shows submits its form at once. Attached here, not in an
// inline onchange attribute: the dashboard's Content-Security-Policy runs no inline script.
function submitOnChange() {
  for (const select of document.querySelectorAll("select[data-submit-on-change]")) {
    select.addEventListener("change", () => select.form.submit());
  }
}

document.addEventListener("DOMContentLoaded", () => {
  submitOnChange();
  const done = [];
  for (const compare of document.querySelectorAll(".charts[data-query]")) done.push(drawWhenOpen(compare));
  const curves = document.getElementById("curves");
  if (curves) done.push(drawFront(curves));
  done.push(Promise.resolve().then(drawClaimCharts));
  Promise.all(done).then(() => { document.body.dataset.chartsReady = "yes"; })
    .catch((err) => { console.error(err); document.body.dataset.chartsReady = "error"; });
});
