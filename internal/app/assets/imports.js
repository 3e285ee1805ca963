// Reloads a running import's page every few seconds, until it ends.
(function () {
  var el = document.querySelector('[data-refresh]');
  if (!el) return;
  setTimeout(function () { location.reload(); }, Number(el.getAttribute('data-refresh')) || 2000);
})();
