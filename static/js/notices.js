// Telling the user something went wrong, where they are looking. Loaded on every page.
//
// Toasts: ltxdash.toast({title, body, url, ok, group}). Toasts of the same group that arrive
// while one is showing join it ("3 clips finished") instead of piling up, and at most
// MAX_TOASTS show at once, so a batch of takes never covers the form on a phone.
//
// HTMX requests that fail: htmx does not swap a 4xx or 5xx answer (see the htmx-config meta),
// so without this a 404 would change nothing on the screen. Every failed request shows a short
// alert beside the element that made it (or a toast when that element can't be seen), with the
// server's own words when it sent them (the X-Ltxdash-Message header), and the alert goes as
// soon as that element's next request succeeds. A request that never gets an answer (the
// server or the network is down: htmx:sendError; no answer within TIMEOUT_MS: htmx:timeout)
// says so in the same place.
(function () {
  "use strict";
  var TOAST_MS = 9000;
  var MAX_TOASTS = 3;
  // A request that sends no file and has no answer after this long is given up (htmx waits
  // forever by default); one sending files may take as long as the upload needs.
  var TIMEOUT_MS = 30000;
  var ltxdash = (window.ltxdash = window.ltxdash || {});

  function line(tag, text, cls) {
    var el = document.createElement(tag);
    el.textContent = text;
    if (cls) el.className = cls;
    return el;
  }

  function render(el, item) {
    el.className = "toast " + (item.ok ? "toast-ok" : "toast-bad");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.onclick = function () { el.remove(); };
    var parts = [line("strong", item.title)];
    if (item.body) parts.push(line("p", item.body));
    if (item.url) {
      var a = line("a", item.linkText || "Open the clip");
      a.href = item.url;
      parts.push(a);
    }
    parts.push(close);
    el.replaceChildren.apply(el, parts);
  }

  function dismissLater(el) {
    clearTimeout(el._timer);
    el._timer = setTimeout(function () { el.remove(); }, TOAST_MS);
  }

  ltxdash.toast = function (item) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var group = item.group || "";
    var el = group ? box.querySelector('[data-group="' + group + '"]') : null;
    if (el) {
      el._items.push(item);
      var grouped = item.groupSummary ? item.groupSummary(el._items) : item;
      render(el, grouped);
      dismissLater(el);
      return;
    }
    el = document.createElement("div");
    el._items = [item];
    if (group) el.dataset.group = group;
    render(el, item);
    box.append(el);
    while (box.children.length > MAX_TOASTS) box.firstElementChild.remove();
    dismissLater(el);
  };

  // ---- failed HTMX requests ----
  var WORDS = {
    400: "That request was not understood. Reload the page and try again.",
    403: "That was refused. Your session may have ended: reload the page and log in again.",
    404: "That is not here any more (it may have been deleted). Reload the page to see the latest.",
    413: "That is too large to send.",
    429: "Too many requests at once. Wait a moment and try again.",
  };

  function wordsFor(xhr) {
    var own = xhr && xhr.getResponseHeader && xhr.getResponseHeader("X-Ltxdash-Message");
    if (own) return own;
    var status = xhr ? xhr.status : 0;
    if (WORDS[status]) return WORDS[status];
    if (status >= 500) return "Something went wrong on the server (" + status + "). Try again in a moment.";
    return "That didn't work (" + status + "). Try again.";
  }

  function visible(el) {
    return el && el.isConnected && el.getClientRects().length > 0 && !el.closest("[hidden]");
  }

  function alertFor(elt) {
    var next = elt.nextElementSibling;
    return next && next.classList.contains("request-error") ? next : null;
  }

  function showFailure(elt, text) {
    // A control inside a group (a tab, a radio) reports under the whole group.
    var anchor = (elt && elt.closest && elt.closest("[data-error-anchor]")) || elt;
    if (!visible(anchor)) {
      ltxdash.toast({ title: "Something went wrong", body: text, ok: false, group: "request-error" });
      return;
    }
    var box = alertFor(anchor);
    if (!box) {
      box = document.createElement("p");
      box.className = "request-error";
      box.setAttribute("role", "alert");
      anchor.after(box);
    }
    box.textContent = text;
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    // 5xx on the background refresh is status.js's "Can't reach ltxdash", said once.
    if (xhr && xhr.status >= 500 && event.detail.elt && event.detail.elt.id === "poller") return;
    showFailure(event.detail.elt, wordsFor(xhr));
  });

  var UNREACHABLE = "Can't reach ltxdash: check your connection, then try again.";
  var TOO_SLOW = "ltxdash did not answer in time. Reload the page to see whether it was done.";

  function sendsFile(formData) {
    if (!formData || !formData.values) return false;
    for (var value of formData.values()) if (value instanceof Blob && value.size) return true;
    return false;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.timeout && !sendsFile(event.detail.formData)) event.detail.timeout = TIMEOUT_MS;
  });

  function unanswered(words) {
    return function (event) {
      var elt = event.detail.elt;
      // The background refresh's lost connection is status.js's "Can't reach ltxdash", said once.
      if (elt && elt.id === "poller") return;
      showFailure(elt, words);
    };
  }
  document.addEventListener("htmx:sendError", unanswered(UNREACHABLE));
  document.addEventListener("htmx:timeout", unanswered(TOO_SLOW));

  // Before the answer is swapped in: an element that replaces itself (a favourite star) is
  // gone from the page once it is, and its alert would stay behind.
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail.xhr, elt = event.detail.elt;
    if (!xhr || xhr.status < 200 || xhr.status >= 300 || !elt) return;
    var anchor = (elt.closest && elt.closest("[data-error-anchor]")) || elt;
    var box = alertFor(anchor);
    if (box) box.remove();
  });
})();
