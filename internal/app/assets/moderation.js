// The moderation pages: the audit log's dates in the viewer's time zone,
// and the quality figures over time as a chart (uPlot). Without this file
// the dates are in UTC and the figures are a table.
"use strict";
(function () {
  // Audit log: send the browser's zone with the dates.
  function localZone() {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return; }
    if (!zone) return;
    document.querySelectorAll("input[data-tz]").forEach(function (f) { f.value = zone; });
    document.querySelectorAll("[data-tz-name]").forEach(function (s) { s.textContent = zone; });
  }

  var charts = window.tiny.charts, cssVar = charts.cssVar, size = charts.size;

  var plot = null;

  function percent(rates) {
    return rates.map(function (r) { return r === null ? null : Math.round(r * 1000) / 10; });
  }

  // Quality: precision, recall and overturned appeals per week, in percent.
  function drawChart() {
    var fig = document.querySelector("[data-chart=quality]");
    var src = document.getElementById("quality-data");
    if (!fig || !src || !window.uPlot) return;
    var el = fig.querySelector("[data-chart-plot]");
    var data = JSON.parse(src.textContent);
    if (!data.weeks || !data.weeks.length) return;
    fig.hidden = false;
    var muted = cssVar("--muted"), border = cssVar("--border");
    var axis = { stroke: muted, grid: { stroke: border, width: 1 }, ticks: { stroke: border, width: 1 } };
    var series = function (label, colour, dash) {
      return { label: label, stroke: colour, width: 2, dash: dash, points: { show: true, size: 6, fill: colour },
        value: function (u, v) { return v === null ? "—" : v.toFixed(1) + " %"; } };
    };
    var opts = {
      width: size(el).width,
      height: size(el).height,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); },
      scales: { x: { time: true }, y: { range: [0, 100] } },
      axes: [Object.assign({ values: "{D} {MMM}" }, axis),
        Object.assign({ size: 60, values: function (u, ticks) { return ticks.map(function (t) { return t + " %"; }); } }, axis)],
      legend: { live: true },
      cursor: { points: { size: 8 } },
      series: [{ label: "Week of", value: "{D} {MMM} {YYYY}" }, series("Precision", cssVar("--accent")),
        series("Recall", cssVar("--ok"), [6, 4]), series("Overturned appeals", cssVar("--warn"), [2, 3])]
    };
    el.textContent = "";
    if (plot) plot.destroy();
    plot = new uPlot(opts, [data.weeks, percent(data.precision), percent(data.recall), percent(data.overturn)], el);
    // The chart shows the figures: the table is there on demand.
    var table = document.querySelector("[data-chart-table]");
    if (table && !table.hasAttribute("data-kept")) {
      table.removeAttribute("open");
      table.setAttribute("data-kept", "");
    }
  }

  // Redraw in the other theme's colours and at the new width.
  function watch() {
    var fig = document.querySelector("[data-chart=quality]");
    if (!fig) return;
    charts.follow(fig.querySelector("[data-chart-plot]"), drawChart, function () { return plot; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localZone();
    drawChart();
    watch();
  });
})();
