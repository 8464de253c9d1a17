// Create page: what HTMX can't do on its own. Previews of chosen files (and their length and
// size, sent along for the cost estimate), a clip *or* an upload, and Ctrl+Enter to generate.
// Everything is delegated from document, so it keeps working after HTMX swaps the form.
(function () {
  "use strict";

  function dropOf(el) { return el && el.closest ? el.closest(".drop") : null; }

  function setMeta(drop, value) {
    var meta = drop.querySelector("[data-meta]");
    if (!meta || meta.value === value) return;
    meta.value = value;
    // Hidden inputs fire no change event: send one so the estimate refreshes (data-refresh).
    meta.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // A field marked data-refresh changed: ask for the settings that fit (hx-trigger of
  // .settings-refresh). Done here, not with an hx-trigger filter: htmx evaluates filters with
  // eval, which the Content-Security-Policy forbids.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!field || !field.hasAttribute || !field.hasAttribute("data-refresh") || !field.form) return;
    if (field.form.id !== "create-form") return;
    field.form.dispatchEvent(new Event("settings-refresh", { bubbles: true }));
  });

  function showProblem(drop, text) {
    var problem = drop.querySelector("[data-problem]");
    if (!problem) return;
    problem.textContent = text || "";
    problem.hidden = !text;
  }

  function clearPreview(drop) {
    var preview = drop.querySelector("[data-preview]");
    if (!preview) return;
    preview.querySelectorAll("[src^='blob:']").forEach(function (el) { URL.revokeObjectURL(el.src); });
    preview.replaceChildren();
    preview.hidden = true;
    drop.classList.remove("has-file");
  }

  // The server's verdict on the last file no longer holds once another one is chosen.
  function clearServerErrors(drop) {
    var role = drop.closest(".input-role");
    if (!role) return;
    role.classList.remove("field-invalid");
    role.querySelectorAll(".errors:not([data-problem])").forEach(function (el) { el.remove(); });
  }

  function preview(input) {
    var drop = dropOf(input);
    if (!drop) return;
    clearPreview(drop);
    clearServerErrors(drop);
    showProblem(drop, "");
    var file = input.files && input.files[0];
    if (!file) { setMeta(drop, ""); return; }
    var max = parseInt(input.dataset.maxBytes || "0", 10);
    if (max && file.size > max) {
      showProblem(drop, "This file is " + Math.round(file.size / 1e6) + " MB; the limit is " + Math.round(max / 1e6) + " MB.");
    }
    var box = drop.querySelector("[data-preview]");
    var kind = drop.dataset.kind;
    var url = URL.createObjectURL(file);
    var el;
    if (kind === "image") {
      el = document.createElement("img");
      el.alt = "Preview of the chosen image";
      el.onload = function () { setMeta(drop, "0:" + el.naturalWidth + ":" + el.naturalHeight); };
      el.onerror = function () { showProblem(drop, "This browser can't show the file: it may not be an image. It is checked again when you press Generate."); };
    } else {
      el = document.createElement(kind === "audio" ? "audio" : "video");
      el.controls = true;
      el.muted = kind !== "audio";
      el.preload = "metadata";
      el.playsInline = true;
      el.onloadedmetadata = function () {
        var seconds = isFinite(el.duration) ? el.duration.toFixed(2) : "";
        setMeta(drop, seconds + ":" + (el.videoWidth || "") + ":" + (el.videoHeight || ""));
      };
      el.onerror = function () {
        setMeta(drop, "");
        el.remove();
        showProblem(drop, "This browser can't play the file: it may not be " + (kind === "audio" ? "audio" : "a video") + ". It is checked again when you press Generate.");
      };
    }
    el.src = url;
    var name = document.createElement("span");
    name.className = "preview-name";
    name.textContent = file.name + " · " + (file.size >= 1e6 ? (file.size / 1e6).toFixed(1) + " MB" : Math.max(1, Math.round(file.size / 1e3)) + " kB");
    box.append(el, name);
    box.hidden = false;
    drop.classList.add("has-file");
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches(".drop input[type=file]")) {
      preview(target);
      // An upload replaces a picked clip for the same input (the server refuses both).
      if (target.files && target.files.length) {
        var role = target.closest(".input-role");
        if (role) role.querySelectorAll("input[name=source]:checked").forEach(function (r) { r.checked = false; });
      }
    } else if (target.matches && target.matches("input[name=source]")) {
      var fieldset = target.closest(".input-role");
      var file = fieldset && fieldset.querySelector(".drop input[type=file]");
      // "None" (an optional input's empty choice) leaves an upload alone.
      if (target.value && file && file.value) { file.value = ""; preview(file); }
    }
  });

  // Drag-over highlight (the file input itself covers the zone and takes the drop).
  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (event) { var d = dropOf(event.target); if (d) d.classList.add("is-dragging"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    document.addEventListener(type, function (event) { var d = dropOf(event.target); if (d) d.classList.remove("is-dragging"); });
  });

  // Ctrl/Cmd + Enter in the prompt generates.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = event.target.closest && event.target.closest("#create-form");
    if (form) { event.preventDefault(); form.requestSubmit(); }
  });

  // After a failed submit, bring the first problem into view.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 422) {
      var first = document.querySelector("#composer .field-invalid, #composer .form-error");
      if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
    }
  });
})();
