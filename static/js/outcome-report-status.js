// Progress of an outcome report: polls the status page's fragment every 2 seconds and
// updates the status panel in place (a polite live region), until the report is ready or
// has failed. Without JavaScript the page refreshes itself instead (<noscript> meta refresh).
(function () {
  "use strict";
  var panel = document.getElementById("report-status");
  if (!panel || !window.fetch || panel.hasAttribute("data-finished")) { return; }
  var url = panel.getAttribute("data-status-url");
  var timer = null;

  function update() {
    if (document.hidden) { return; }
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        var finished = response.headers.get("X-Report-Finished") === "1";
        return response.text().then(function (html) { return { html: html, finished: finished }; });
      })
      .then(function (result) {
        if (panel.innerHTML.trim() !== result.html.trim()) { panel.innerHTML = result.html; }
        if (result.finished) { window.clearInterval(timer); panel.setAttribute("data-finished", ""); }
      })
      .catch(function () { /* keep what is shown; try again next time */ });
  }

  timer = window.setInterval(update, 2000);
  document.addEventListener("visibilitychange", update);
})();
