// Keeps a running import's page current. It fetches the page again every
// few seconds and puts in what changed, rather than reloading: a reload
// would throw a keyboard or screen reader user back to the top each time.
"use strict";
(function () {
  var card = document.querySelector(".import-job[data-refresh]");
  if (!card) return;
  var every = Number(card.getAttribute("data-refresh")) || 2000;

  function elements(list) { return Array.prototype.slice.call(list); }

  // update puts the fetched page's news in; it returns whether the job
  // still runs. Only the figures change while it does, and they never hold
  // the focus; when it ends, its state line (a live region) says so and
  // the rest of the card and the lists below it are replaced.
  function update(next) {
    var nextCard = next.querySelector(".import-job");
    if (!nextCard) return false; // signed out, or the job is gone: the "reload it" link stays
    if (nextCard.hasAttribute("data-refresh")) {
      ["label[for=import-progress]", "#import-progress", ".figures"].forEach(function (sel) {
        var now = card.querySelector(sel), then = nextCard.querySelector(sel);
        if (now && then) now.replaceWith(then);
      });
      return true;
    }

    var hadFocus = card.contains(document.activeElement);
    var state = card.querySelector(".import-state");
    elements(card.children).forEach(function (e) { if (e !== state) e.remove(); });
    elements(nextCard.children).forEach(function (e) { if (!e.matches(".import-state")) card.appendChild(e); });
    var below = [];
    for (var e = nextCard.nextElementSibling; e; e = e.nextElementSibling) {
      if (e.tagName !== "SCRIPT") below.push(e);
    }
    while (card.nextElementSibling && card.nextElementSibling.tagName !== "SCRIPT") card.nextElementSibling.remove();
    card.after.apply(card, below);
    card.removeAttribute("data-refresh");
    state.innerHTML = nextCard.querySelector(".import-state").innerHTML;
    window.tiny.localTimes(card);
    // The focus was on the cancel button or the reload link, now gone:
    // it goes to the news rather than to the top of the page.
    if (hadFocus && !card.contains(document.activeElement)) {
      state.tabIndex = -1;
      state.focus();
    }
    return false;
  }

  function tick() {
    fetch(location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (!r.ok) throw new Error("status " + r.status);
        return r.text();
      })
      .then(function (html) {
        if (update(new DOMParser().parseFromString(html, "text/html"))) setTimeout(tick, every);
      })
      .catch(function () { setTimeout(tick, 2 * every); });
  }
  setTimeout(tick, every);
})();
