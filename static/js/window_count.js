// Live count of completed responses on the teacher's survey window page.
// Polls a same-origin JSON endpoint every 10 seconds; numbers only, never answers.
// Without JavaScript the page offers a plain "Reload the count" link instead.
(function () {
  "use strict";
  var target = document.getElementById("completed-count");
  var started = document.getElementById("started-count");
  if (!target || !window.fetch) { return; }
  var url = target.getAttribute("data-count-url");
  var stopped = false;

  function update() {
    if (stopped || document.hidden) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        var text = String(data.completed);
        if (target.textContent !== text) { target.textContent = text; }
        if (started && started.textContent !== String(data.started)) { started.textContent = String(data.started); }
        if (data.open === false) { stopped = true; }
      })
      .catch(function () { /* keep the last count; try again next time */ });
  }

  window.setInterval(update, 10000);
  document.addEventListener("visibilitychange", update);
})();
