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
