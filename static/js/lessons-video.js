// Lesson videos: no third-party request until the teacher asks. Without JavaScript the
// link opens the video site; with it, a button loads the privacy-enhanced player here.
(function () {
  "use strict";
  document.querySelectorAll(".video-slot[data-embed-url]").forEach(function (slot) {
    var url = slot.getAttribute("data-embed-url");
    if (!url) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = "Play here: " + slot.getAttribute("data-title");
    button.addEventListener("click", function () {
      var frame = document.createElement("iframe");
      frame.src = url;
      frame.title = slot.getAttribute("data-title");
      frame.allow = "fullscreen; picture-in-picture";
      frame.loading = "lazy";
      frame.referrerPolicy = "strict-origin-when-cross-origin";
      var wrap = document.createElement("div");
      wrap.className = "video-frame";
      wrap.appendChild(frame);
      slot.replaceChildren(wrap);
      frame.focus();
    });
    slot.insertBefore(button, slot.firstChild);
  });
})();
