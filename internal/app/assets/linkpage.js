// A link's page: the clicks chart (uPlot), statistics in the viewer's time
// zone, and the expiry field in local time. Without this file the page
// shows the same figures as a table, in UTC or the zone typed in.
"use strict";
(function () {
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* old browser: UTC */ }

  // The server draws the statistics in the zone of the tz cookie; keep it
  // and, the first time, draw the page again in it.
  function useLocalZone() {
    if (!zone) return;
    document.cookie = "tiny_tz=" + encodeURIComponent(zone) + "; path=/app/; max-age=31536000; samesite=lax";
    var field = document.getElementById("stats-tz");
    var params = new URLSearchParams(location.search);
    if (!field || params.has("tz") || field.value === zone) return;
    if (document.querySelector(".flash, [aria-invalid=true]")) {
      field.value = zone; // a notice or an error would be lost on reload
      return;
    }
    // Once: a zone the server does not know must not reload for ever.
    var key = "tiny_tz_reloaded";
    try {
      if (sessionStorage.getItem(key) === zone) { field.value = zone; return; }
      sessionStorage.setItem(key, zone);
    } catch (e) { return; }
    location.replace(location.href);
  }

  // pad2 writes a number with two digits.
  function pad2(n) { return (n < 10 ? "0" : "") + n; }

  function localValue(d) {
    return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate()) + "T" + pad2(d.getHours()) + ":" + pad2(d.getMinutes());
  }

  // The expiry is sent in UTC; show it in local time, and send back the
  // offset of the time entered, so the server reads it as meant.
  function localExpiry() {
    var input = document.getElementById("edit-expires");
    var offset = document.getElementById("edit-tz-offset");
    if (!input || !offset) return;
    var utc = input.getAttribute("data-utc");
    if (utc) {
      var d = new Date(utc);
      if (!isNaN(d)) input.value = localValue(d);
    }
    var setOffset = function () {
      var d = input.value ? new Date(input.value) : new Date();
      offset.value = String(-(isNaN(d) ? new Date() : d).getTimezoneOffset());
    };
    setOffset();
    input.form.addEventListener("submit", setOffset);
  }

  var charts = window.tiny.charts, cssVar = charts.cssVar, size = charts.size;
  var plot = null;

  function drawChart() {
    var el = document.getElementById("lp-chart");
    var src = document.getElementById("lp-chart-data");
    if (!el || !src || !window.uPlot) return;
    var data = JSON.parse(src.textContent);
    var muted = cssVar("--muted"), border = cssVar("--border");
    var colours = [cssVar("--accent"), cssVar("--caution"), cssVar("--ok")];
    var tz = data.tz === "UTC" ? "Etc/UTC" : data.tz;
    var axis = { stroke: muted, grid: { stroke: border, width: 1 }, ticks: { stroke: border, width: 1 } };
    var stepped = uPlot.paths && uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
    var series = function (label, i) {
      return { label: label, stroke: colours[i], width: i === 0 ? 2 : 1.5, fill: i === 0 ? colours[0] + "22" : undefined, paths: stepped, points: { show: data.t.length < 60 } };
    };
    var opts = {
      width: size(el).width,
      height: size(el).height,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), tz); },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(4, Math.ceil(max * 1.1))]; } } },
      axes: [Object.assign({}, axis), Object.assign({ size: 50 }, axis)],
      legend: { live: true },
      cursor: { points: { size: 6 } },
      series: [{ label: "Time" }, series("Humans", 0), series("Bots", 1), series("Previews", 2)]
    };
    el.textContent = "";
    if (plot) plot.destroy();
    plot = new uPlot(opts, [data.t, data.humans, data.bots, data.previews], el);
    // The chart shows the figures: the table is there on demand.
    var table = document.getElementById("lp-table");
    if (table && !table.hasAttribute("data-kept")) {
      table.removeAttribute("open");
      table.setAttribute("data-kept", "");
    }
  }

  // Redraw in the other theme's colours and at the new width.
  function watch() {
    charts.follow(document.getElementById("lp-chart"), drawChart, function () { return plot; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    useLocalZone();
    localExpiry();
    drawChart();
    watch();
  });
})();
