// Keyboard focus survives HTMX swaps. When the element that has focus is replaced (a card
// redrawn after Cancel, a form answered with its errors, a panel swapped in), focus moves to its
// counterpart in the new content: the same id, else the same control by name or by its words,
// else the new content itself. Without this the browser drops focus to <body>, and a keyboard
// user starts again from the top of the page.
(function () {
  "use strict";
  var saved = null;

  function remember(event) {
    var target = event.detail.target;
    var active = document.activeElement;
    if (!target || !active || active === document.body || !target.contains(active)) return;
    saved = {
      root: target.id,
      id: active.id,
      tag: active.tagName,
      name: active.getAttribute("name"),
      words: (active.textContent || "").trim(),
    };
  }

  function counterpart(root, was) {
    if (was.id) {
      var same = document.getElementById(was.id);
      if (same && root.contains(same)) return same;
    }
    var candidates = root.querySelectorAll(was.tag.toLowerCase());
    for (var i = 0; i < candidates.length; i++) {
      var el = candidates[i];
      if (was.name && el.getAttribute("name") === was.name) return el;
      if (!was.name && was.words && (el.textContent || "").trim() === was.words) return el;
    }
    return null;
  }

  function restore() {
    var was = saved;
    saved = null;
    if (!was) return;
    var active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;  // focus is somewhere
    var root = was.root ? document.getElementById(was.root) : null;
    if (!root) root = document.getElementById("main");
    if (!root) return;
    var el = counterpart(root, was);
    if (!el || el.disabled || !el.getClientRects().length) {  // gone, or hidden (a closed <details>)
      el = root;
      if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
    }
    el.focus({ preventScroll: false });
  }

  document.addEventListener("htmx:beforeSwap", remember);
  document.addEventListener("htmx:oobBeforeSwap", remember);
  document.addEventListener("htmx:afterSettle", function () { setTimeout(restore, 0); });
})();
