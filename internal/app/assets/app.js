// tiny's little JavaScript: every page works without it; it adds the theme
// switch without a reload, copy buttons, and local times.
"use strict";
(function () {
  var root = document.documentElement;

  // Theme: system → dark → light → system, kept in the cookie the server
  // reads, so the first paint of the next page is already right.
  function setTheme(theme) {
    if (theme === "light" || theme === "dark") {
      root.setAttribute("data-theme", theme);
      document.cookie = "tiny_theme=" + theme + "; path=/; max-age=31536000; samesite=lax";
    } else {
      root.removeAttribute("data-theme");
      document.cookie = "tiny_theme=; path=/; max-age=0; samesite=lax";
    }
    var b = document.getElementById("theme-switch");
    if (!b) return;
    var next = theme === "dark" ? "light" : theme === "light" ? "system" : "dark";
    b.value = next;
    b.textContent = theme === "dark" ? "☾" : theme === "light" ? "☀" : "◐";
    b.setAttribute("aria-label", "Theme: " + (theme === "dark" || theme === "light" ? theme : "as the system") + ". Switch theme");
  }

  function copy(button) {
    var text = button.getAttribute("data-copy");
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      button.setAttribute("aria-live", "polite");
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  }

  // fallbackCopy copies through a selected text area, for plain-http
  // instances where the clipboard API is not offered.
  function fallbackCopy(text) {
    var t = document.createElement("textarea");
    t.value = text;
    t.setAttribute("readonly", "");
    t.className = "offscreen";
    document.body.appendChild(t);
    t.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(t);
  }

  function localTimes(scope) {
    scope.querySelectorAll("time[data-local]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d)) t.textContent = d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    });
  }

  document.addEventListener("click", function (e) {
    var t = e.target.closest("#theme-switch, [data-copy], [data-check-all]");
    if (!t) return;
    if (t.id === "theme-switch") {
      e.preventDefault();
      setTheme(t.value);
    } else if (t.hasAttribute("data-copy")) {
      e.preventDefault();
      copy(t);
    } else {
      var form = t.form || document;
      form.querySelectorAll("input[type=checkbox][name=" + t.getAttribute("data-check-all") + "]").forEach(function (c) { c.checked = t.checked; });
    }
  });
  // A form can ask to be confirmed before it is sent.
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  });
  document.addEventListener("DOMContentLoaded", function () { localTimes(document); });
  // The charts (linkpage.js, moderation.js) share these: the theme's
  // colours, a size that fits the chart's box, and a redraw when either
  // changes.
  var charts = {
    cssVar: function (name) { return getComputedStyle(root).getPropertyValue(name).trim(); },
    // size is lower on a phone.
    size: function (el) {
      var w = Math.max(el.clientWidth, 240);
      return { width: w, height: w < 500 ? 220 : 300 };
    },
    // follow redraws on a change of theme (the switch or the system's) and
    // resizes the chart plot() returns with its box el.
    follow: function (el, redraw, plot) {
      new MutationObserver(redraw).observe(root, { attributes: true, attributeFilter: ["data-theme"] });
      if (window.matchMedia) {
        var mq = window.matchMedia("(prefers-color-scheme: dark)");
        if (mq.addEventListener) mq.addEventListener("change", redraw);
      }
      if (!el || !window.ResizeObserver) return;
      var last = el.clientWidth;
      new ResizeObserver(function () {
        var p = plot();
        if (!p || el.clientWidth === last) return;
        last = el.clientWidth;
        p.setSize(charts.size(el));
      }).observe(el);
    }
  };
  window.tiny = { localTimes: localTimes, charts: charts };
})();
