// Gallery behaviour HTMX cannot provide: muted previews on hover/focus (copy buttons: copy.js).
// Listeners sit on the document, so cards added later by infinite scroll work without rebinding.
(() => {
  "use strict";
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

  function startPreview(thumb) {
    if (reducedMotion.matches || thumb.querySelector("video")) return;
    const video = document.createElement("video");
    video.muted = true;
    video.loop = true;
    video.playsInline = true;
    video.setAttribute("aria-hidden", "true");
    video.src = thumb.dataset.preview;
    video.addEventListener("playing", () => thumb.classList.add("previewing"), { once: true });
    thumb.appendChild(video);
    video.play().catch(() => {}); // autoplay refused or left before it loaded: keep the poster
  }

  function stopPreview(thumb) {
    const video = thumb.querySelector("video");
    thumb.classList.remove("previewing");
    if (!video) return;
    // Removing the element (not only pausing) frees its connection for the next preview.
    video.pause();
    video.removeAttribute("src");
    video.load();
    video.remove();
  }

  // ---- on a phone, the filters fold behind a button that counts the active ones ----
  document.addEventListener("click", (event) => {
    const toggle = event.target instanceof Element && event.target.closest("[data-filters-toggle]");
    if (!toggle) return;
    const form = toggle.closest("form");
    const open = form.classList.toggle("is-open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
  function countFilters(form) {
    const count = form.querySelector("[data-filter-count]");
    if (!count) return;
    let active = 0;
    form.querySelectorAll(".filter-more input, .filter-more select").forEach((el) => {
      if (el.type === "checkbox" ? el.checked : el.value.trim() !== "") active += 1;
    });
    count.textContent = active ? ` · ${active}` : "";
    if (active) {
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " active";
      count.append(hidden);
    }
  }
  document.addEventListener("change", (event) => {
    const form = event.target instanceof Element && event.target.closest(".gallery-filters");
    if (form) countFilters(form);
  });

  const thumbOf = (node) => (node instanceof Element ? node.closest("[data-preview]") : null);

  document.addEventListener("pointerover", (event) => {
    const thumb = thumbOf(event.target);
    if (thumb && event.pointerType === "mouse" && !thumb.contains(event.relatedTarget)) startPreview(thumb);
  });
  document.addEventListener("pointerout", (event) => {
    const thumb = thumbOf(event.target);
    if (thumb && !thumb.contains(event.relatedTarget)) stopPreview(thumb);
  });
  document.addEventListener("focusin", (event) => {
    const thumb = thumbOf(event.target);
    if (thumb) startPreview(thumb);
  });
  document.addEventListener("focusout", (event) => {
    const thumb = thumbOf(event.target);
    if (thumb) stopPreview(thumb);
  });
})();
