// Copy buttons, on every page: <button type="button" data-copy="the text to copy">Copy</button>.
// The one convention: data-copy holds the text itself. Without the clipboard API (plain HTTP),
// a hidden textarea and execCommand do it; the button says "Copied" for a moment either way.
(function () {
  "use strict";

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (e) {}
    area.remove();
    return copied;
  }

  function say(button, words) {
    if (!button.dataset.label) button.dataset.label = button.textContent;
    button.textContent = words;
    setTimeout(function () { button.textContent = button.dataset.label; }, 1500);
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var text = button.dataset.copy;
    var fallback = function () {
      if (fallbackCopy(text)) return say(button, "Copied");
      // Nothing could copy: select the text shown beside the button, so Ctrl/Cmd-C does.
      var field = button.parentElement && button.parentElement.querySelector("input, code");
      if (field && field.select) { field.focus(); field.select(); }
      say(button, "Press Ctrl-C");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { say(button, "Copied"); }, fallback);
    } else {
      fallback();
    }
  });
})();
