// Draws the dashboard's charts with Chart.js from the same data endpoints the download
// links point to. window.labCharts lists every chart drawn and how many points it holds,
// so a browser test can check that the charts drew with data.
"use strict";

window.labCharts = [];
const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777",
                 "#4b5563", "#65a30d"];

function register(canvas, chart) {
  const points = chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0);
  window.labCharts.push({ id: canvas.dataset.chart || canvas.dataset.claimChart, points: points });
  canvas.dataset.points = String(points);
}

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
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
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
function fetchRows(chart, query) {
  if (EMBEDDED) return Promise.resolve(EMBEDDED[`${chart}?${query}`] || []);
  const url = `/dashboard/data/compare/${chart}?${query}`;
  if (!cache.has(url)) {
    cache.set(url, fetch(url).then((r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return r.json();
    }).then((body) => body.rows));
  }
  return cache.get(url);
}

async function drawCompare(container) {
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

document.addEventListener("DOMContentLoaded", () => {
  const done = [];
  for (const compare of document.querySelectorAll(".charts[data-query]")) done.push(drawCompare(compare));
  done.push(Promise.resolve().then(drawClaimCharts));
  Promise.all(done).then(() => { document.body.dataset.chartsReady = "yes"; })
    .catch((err) => { console.error(err); document.body.dataset.chartsReady = "error"; });
});
