// Status cards: what HTMX can't do on its own. Toasts and browser notifications when a clip
// finishes (the server sends HX-Trigger "generation-finished"), a "Notify me" toggle, ▶
// playing a clip in its card, and ticking clocks between refreshes (elapsed time, time left). Copy buttons: copy.js.
(function () {
  "use strict";
  var NOTIFY_KEY = "ltxdash-notify";

  // Toasts come from notices.js; finished clips of one refresh, or of a batch, share one.
  function toast(title, body, url, ok, group, summary, id) {
    window.ltxdash.toast({ id: id, title: title, body: body, url: url, ok: ok, group: group, groupSummary: summary });
  }
  function finishedSummary(items) {
    var ok = items.every(function (i) { return i.ok; });
    var bad = items.filter(function (i) { return !i.ok; }).length;
    var ids = items.map(function (i) { return "#" + i.id; });
    return {
      title: items.length + " clips " + (ok ? "are ready" : bad === items.length ? "did not finish" : "finished (" + bad + " did not)"),
      body: ids.join(", "),
      url: "/gallery/",
      linkText: "Open the gallery",
      ok: ok,
    };
  }

  // ---- notifications ----
  function notifySupported() { return "Notification" in window; }
  function notifyWanted() {
    try { return localStorage.getItem(NOTIFY_KEY) === "on"; } catch (e) { return false; }
  }
  function setNotifyWanted(on) {
    try { localStorage.setItem(NOTIFY_KEY, on ? "on" : "off"); } catch (e) {}
  }
  function syncToggle() {
    document.querySelectorAll("[data-notify-toggle]").forEach(function (button) {
      if (!notifySupported()) return;
      button.hidden = false;
      var on = notifyWanted() && Notification.permission === "granted";
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "Notifying" : "Notify me";
      button.title = Notification.permission === "denied"
        ? "Notifications are blocked for this site in the browser's settings."
        : "A browser notification when a clip finishes.";
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-notify-toggle]");
    if (!button || !notifySupported()) return;
    if (notifyWanted() && Notification.permission === "granted") {
      setNotifyWanted(false);
      syncToggle();
      return;
    }
    Notification.requestPermission().then(function (permission) {
      setNotifyWanted(permission === "granted");
      syncToggle();
      if (permission === "denied") toast("Notifications are blocked", "Allow them for this site in the browser's settings.", null, false);
    });
  });

  function notify(item) {
    if (!notifySupported() || !notifyWanted() || Notification.permission !== "granted") return;
    try {
      var n = new Notification(item.title, { body: item.body || "", tag: "ltxdash-" + item.id });
      n.onclick = function () { window.focus(); if (item.url) location.href = item.url; n.close(); };
    } catch (e) { /* some browsers only allow notifications from a service worker */ }
  }

  document.body.addEventListener("generation-finished", function (event) {
    var items = (event.detail && event.detail.items) || [];
    items.forEach(function (item) {
      toast(item.title, item.body, item.url, item.ok, "finished", finishedSummary, item.id);
      notify(item);
    });
  });

  // ---- ▶ plays the clip in its card (the link stays the no-JavaScript way) ----
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-play]");
    if (!link || !link.dataset.play || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    var video = document.createElement("video");
    video.className = "gen-video";
    video.src = link.dataset.play;
    video.controls = true;
    video.playsInline = true;
    video.autoplay = true;
    video.poster = (link.querySelector("img") || {}).src || "";
    video.setAttribute("aria-label", link.getAttribute("aria-label").replace(/^Play/, "Clip"));
    link.replaceWith(video);
    video.focus();
  });

  // ---- a card being renamed is not redrawn under the user's hands ----
  // Its stamp stays old, so a later refresh brings the change again once the form is closed;
  // the poller is kept as it is for that (the answer may have switched it off).
  var deferred = false;
  document.addEventListener("htmx:beforeRequest", function () { deferred = false; });
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (!target) return;
    if (target.id === "poller") {
      if (deferred) event.detail.shouldSwap = false;
      return;
    }
    if (!target.classList || !target.classList.contains("gen-card")) return;
    var open = target.querySelector("details.rename[open]");
    var typing = target.contains(document.activeElement) && document.activeElement.matches("input[type=text], textarea");
    if (open || typing) {
      event.detail.shouldSwap = false;
      deferred = true;
    }
  });

  // ---- clocks: same wording as cards.about_left() on the server ----
  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var s = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (s < 10 ? "0" : "") + s;
  }
  function aboutLeft(seconds) {
    if (seconds <= 5) return "any moment now";
    if (seconds < 60) return "about " + Math.max(5, Math.round(seconds / 5) * 5) + " s left";
    return "about " + Math.round(seconds / 60) + " min left";
  }
  // The server sends seconds (elapsed, left) as of the answer; count on from when it arrived,
  // so a browser clock that is off doesn't matter.
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-elapsed]").forEach(function (el) {
      if (!el.dataset.t0) el.dataset.t0 = now - Number(el.dataset.elapsed) * 1000;
      el.textContent = clock((now - Number(el.dataset.t0)) / 1000);
    });
    document.querySelectorAll("[data-left]").forEach(function (el) {
      if (!el.dataset.t1) el.dataset.t1 = now + Number(el.dataset.left) * 1000;
      el.textContent = aboutLeft((Number(el.dataset.t1) - now) / 1000);
    });
  }
  setInterval(tick, 1000);

  // ---- losing the server: say so once, not on every poll ----
  var warned = false;
  function lost() {
    if (warned) return;
    warned = true;
    toast("Can't reach ltxdash", "The cards will update again when the connection is back.", null, false, "offline");
  }
  // A request refused before it was read (413: a file or a form too large) says why.
  document.body.addEventListener("request-refused", function (event) {
    toast(event.detail.title, event.detail.body, null, false);
  });
  // Only the poller's: any other request that gets no answer says so beside itself (notices.js).
  function pollerLost(event) {
    if (event.detail.elt && event.detail.elt.id === "poller") lost();
  }
  document.body.addEventListener("htmx:sendError", pollerLost);
  document.body.addEventListener("htmx:timeout", pollerLost);
  document.body.addEventListener("htmx:responseError", function (event) {
    var elt = event.detail.elt;
    if (event.detail.xhr && event.detail.xhr.status >= 500 && elt && elt.id === "poller") lost();
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) warned = false;
  });

  syncToggle();
})();
