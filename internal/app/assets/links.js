// The shorten form and the list of links: every part works without this
// file; it reads the expiry in the viewer's time zone, asks before a bulk
// delete, and sets up htmx's search as one types.
"use strict";
(function () {
  // htmx (loaded before this file on the list) updates the table as one
  // types a search. The CSP allows no inline style or eval: keep it from
  // trying, before it starts on DOMContentLoaded.
  if (window.htmx) {
    htmx.config.includeIndicatorStyles = false;
    htmx.config.allowEval = false;
    htmx.config.historyCacheSize = 0;
    // Empty filters are left out of the address, as the server's links do.
    document.addEventListener("htmx:configRequest", function (e) {
      var p = e.detail.parameters;
      ["q", "tag", "sort"].forEach(function (k) { if (p[k] === "") delete p[k]; });
    });
  }

  // The expiry is typed in local time: send the zone's offset at that
  // date (it differs across summer time), which the server applies.
  function fillOffset(form) {
    var input = form.querySelector("#expires"), offset = form.querySelector("#tz_offset");
    if (!input || !offset) return;
    var when = input.value ? new Date(input.value) : new Date();
    if (!isNaN(when)) offset.value = String(-when.getTimezoneOffset());
  }

  document.addEventListener("DOMContentLoaded", function () {
    var hint = document.querySelector("[data-tz-hint]");
    if (hint) {
      var zone = "";
      try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { /* no zone name */ }
      hint.textContent = "In your time zone" + (zone ? " (" + zone + ")" : "") + ". After this time the link answers “gone”.";
    }
    var form = document.querySelector("form.shorten");
    if (form) fillOffset(form);
  });

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.matches("form.shorten")) {
      fillOffset(form);
      return;
    }
    var b = e.submitter;
    if (!form.matches("form.links-bulk") || !b || !b.hasAttribute("data-confirm-delete")) return;
    var n = form.querySelectorAll("input[name=code]:checked").length;
    if (n === 0) return; // the server says what to do
    if (!window.confirm("Delete " + n + " link" + (n === 1 ? "" : "s") + "? They stop working at once. This cannot be undone.")) {
      e.preventDefault();
      return;
    }
    var c = document.createElement("input");
    c.type = "hidden";
    c.name = "confirmed";
    c.value = "1";
    form.appendChild(c);
  });
})();
