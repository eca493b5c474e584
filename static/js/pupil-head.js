/* Loaded in <head> before the first paint: marks <html> when the browser can read aloud,
   so static/css/pupil.css shows the "Read aloud" buttons from the start (no layout shift).
   Without JavaScript (or without speech) the buttons stay hidden: they would do nothing. */
(function () {
  "use strict";
  if ("speechSynthesis" in window && "SpeechSynthesisUtterance" in window) {
    document.documentElement.classList.add("can-speak");
  }
}());
