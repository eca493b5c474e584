/*
 * Upstream pupil survey: progressive enhancement of the question pages.
 *
 * Without this file every page still works as a plain form post. With it, a page's
 * answers are kept on the device (localStorage: the submission key, page number,
 * sequence number and option values only, never question text) and sent as JSON with
 * the idempotency key until the server answers 2xx. The device copy of an entry is
 * deleted as soon as it is acknowledged. Network failures, 5xx, 408 and 429 are retried
 * with exponential backoff and jitter (at most 6 attempts, then again when the network
 * returns or the pupil presses the button); other refusals are shown and dropped.
 * "Sent" is never shown before the server's 2xx.
 */
(function () {
  "use strict";

  var STORE = "upstream.pupil.pending";
  var SEQ = "upstream.pupil.seq";
  var MAX_ATTEMPTS = 6;
  var saveUrl = document.body ? document.body.getAttribute("data-save-url") : null;
  var form = document.querySelector("form[data-survey]");
  var statusBox = document.getElementById("save-status");
  var offlineBox = document.getElementById("offline-notice");
  var sending = false;
  var attempts = 0;
  var timer = null;
  var current = null;
  var lastAction = "next";

  function read(name, fallback) {
    try {
      var value = window.localStorage.getItem(name);
      return value ? JSON.parse(value) : fallback;
    } catch (e) {
      return fallback;
    }
  }

  function write(name, value) {
    try {
      if (value === null) {
        window.localStorage.removeItem(name);
      } else {
        window.localStorage.setItem(name, JSON.stringify(value));
      }
    } catch (e) {
      /* Private mode or storage full: the save still goes straight to the server. */
    }
  }

  function queue() {
    var list = read(STORE, []);
    return Array.isArray(list) ? list : [];
  }

  function same(a, b) {
    return !!a && !!b && a.k === b.k && a.p === b.p && a.s === b.s;
  }

  function enqueue(entry) {
    var list = queue().filter(function (item) { return !same(item, entry); });
    list.push(entry);
    write(STORE, list);
  }

  function dequeue(entry) {
    var list = queue().filter(function (item) { return !same(item, entry); });
    write(STORE, list.length ? list : null);
  }

  function forget() {
    write(STORE, null);
    write(SEQ, null);
  }

  function say(text) {
    if (statusBox) {
      statusBox.textContent = text;
    }
  }

  function showOffline(show) {
    if (offlineBox) {
      offlineBox.hidden = !show;
    }
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function nextSeq(key, formSeq) {
    var last = read(SEQ, null);
    var seq = Math.max(formSeq, last && last.k === key ? last.s + 1 : 1);
    write(SEQ, { k: key, s: seq });
    return seq;
  }

  function isThisPage(entry) {
    return !!form && entry.k === form.elements.key.value && String(entry.p) === form.elements.page.value;
  }

  function retry(retryAfter) {
    attempts += 1;
    if (attempts >= MAX_ATTEMPTS) {
      attempts = 0;
      if (current) {
        say("We couldn't send your answers yet. They are kept on this device. Press the button again to try.");
      }
      return;
    }
    var base = Math.min(30000, 1000 * Math.pow(2, attempts - 1));
    var wait = base / 2 + Math.random() * base;
    var serverWait = parseInt(retryAfter, 10);
    if (serverWait > 0) {
      wait = Math.max(wait, serverWait * 1000);
    }
    if (current) {
      say(navigator.onLine === false
        ? "Saved on this device. We'll send your answers when the internet comes back."
        : "Saved on this device. Trying again soon…");
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(flush, wait);
  }

  function acknowledged(entry, data) {
    dequeue(entry);
    attempts = 0;
    showOffline(false);
    if (same(entry, current) || (!current && isThisPage(entry))) {
      if (entry.f) {
        forget();
        say("Sent ✓");
      } else {
        say("Saved ✓");
      }
      current = null;
      if (data && typeof data.next === "string" && data.next.charAt(0) === "/") {
        window.location.assign(data.next);
        return;
      }
    }
    flush();
  }

  function refused(entry, status, data) {
    if (status === 403 && !(data && data.error)) {
      /* CSRF refused: keep the device copy; a fresh page brings a fresh token. */
      say("Please reload this page to send your answers. They are kept on this device.");
      return;
    }
    dequeue(entry);
    attempts = 0;
    if (same(entry, current)) {
      current = null;
      say((data && data.message) || "Those answers could not be saved. Please check them and try again.");
    }
    flush();
  }

  function flush() {
    if (sending || !saveUrl) {
      return;
    }
    var list = queue();
    if (!list.length) {
      return;
    }
    var entry = list[0];
    if (navigator.onLine === false) {
      /* No network at all: keep the answers here and send them when the "online" event fires. */
      showOffline(true);
      if (current) {
        say("Saved on this device. We'll send your answers when the internet comes back.");
      }
      return;
    }
    sending = true;
    if (same(entry, current)) {
      say("Sending…");
    }
    window.fetch(saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ key: entry.k, page: entry.p, seq: entry.s, answers: entry.a, final: entry.f })
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        sending = false;
        if (response.ok) {
          acknowledged(entry, data);
        } else if (response.status >= 500 || response.status === 408 || response.status === 429) {
          retry(response.headers.get("Retry-After"));
        } else {
          refused(entry, response.status, data);
        }
      });
    }).catch(function () {
      sending = false;
      if (navigator.onLine === false) {
        showOffline(true);
      }
      retry(null);
    });
  }

  function collect(action) {
    var answers = {};
    var inputs = form.querySelectorAll("input[type=radio]");
    Array.prototype.forEach.call(inputs, function (input) {
      var code = input.name.slice(2);
      if (action === "skip") {
        answers[code] = "skip";
      } else if (input.checked) {
        answers[code] = input.value;
      }
    });
    return answers;
  }

  if (form && saveUrl && window.fetch && window.JSON) {
    form.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button[name=action]") : null;
      if (button) {
        lastAction = button.value;
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (current) {
        /* Already saving this page (a double click): just make sure it is on its way. */
        attempts = 0;
        flush();
        return;
      }
      var action = event.submitter && event.submitter.value ? event.submitter.value : lastAction;
      var key = form.elements.key.value;
      current = {
        k: key,
        p: parseInt(form.elements.page.value, 10),
        s: nextSeq(key, parseInt(form.elements.seq.value, 10) || 1),
        a: collect(action),
        f: form.hasAttribute("data-final")
      };
      enqueue(current);
      say("Saved on this device…");
      attempts = 0;
      flush();
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-stop]"), function (stopForm) {
    stopForm.addEventListener("submit", forget);
  });
  if (document.querySelector("[data-sent]")) {
    forget();
  }

  window.addEventListener("online", function () {
    showOffline(false);
    attempts = 0;
    window.clearTimeout(timer);
    flush();
  });
  window.addEventListener("offline", function () {
    showOffline(true);
  });

  if ("speechSynthesis" in window && "SpeechSynthesisUtterance" in window) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-read]"), function (button) {
      button.addEventListener("click", function () {
        var question = button.closest("fieldset");
        var parts = [question.querySelector("legend").textContent];
        Array.prototype.forEach.call(question.querySelectorAll(".opt span:last-child"), function (span) {
          parts.push(span.textContent);
        });
        var utterance = new window.SpeechSynthesisUtterance(parts.join(". "));
        utterance.lang = "en-GB";
        utterance.rate = 0.9;
        window.speechSynthesis.cancel();
        window.speechSynthesis.speak(utterance);
      });
    });
  }

  flush();
}());
