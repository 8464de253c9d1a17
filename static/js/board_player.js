// The public board page's player: one clip at a time, stepped with the Previous and Next
// buttons, the ← and → keys, a swipe on a touch screen, a click on a poster, or the address
// (?clip=N, or #clip-N). Without JavaScript every one of those is a plain link that loads the
// page at ?clip=N. No inline script, no eval: the clips come from a JSON data block.
(() => {
  "use strict";
  const root = document.querySelector("[data-board-player]");
  const data = document.getElementById("board-clips");
  if (!root || !data) return;
  const clips = JSON.parse(data.textContent);
  if (!clips.length) return;
  const base = root.dataset.base; // "/b/<token>/"
  const downloads = root.dataset.downloads === "1";
  const video = root.querySelector("[data-player]");
  const title = root.querySelector("[data-title]");
  const position = root.querySelector("[data-position]");
  const prompt = root.querySelector("[data-prompt]");
  const download = root.querySelector("[data-download]");
  const steps = root.querySelectorAll("[data-step]");
  let current = clamp(Number(new URLSearchParams(location.search).get("clip")) || 1);

  function clamp(n) {
    return Math.max(1, Math.min(clips.length, n));
  }

  function setStep(link, target) {
    if (target >= 1 && target <= clips.length) {
      link.setAttribute("href", `?clip=${target}`);
      link.removeAttribute("aria-disabled");
    } else {
      link.removeAttribute("href");
      link.setAttribute("aria-disabled", "true");
    }
  }

  function show(n, { play = false, remember = true } = {}) {
    n = clamp(n);
    const clip = clips[n - 1];
    current = n;
    video.pause();
    if (clip.poster) video.setAttribute("poster", `${base}posters/${clip.video}`);
    else video.removeAttribute("poster");
    if (clip.width && clip.height) {
      video.setAttribute("width", clip.width);
      video.setAttribute("height", clip.height);
    }
    video.src = `${base}files/${clip.video}`;
    title.textContent = clip.title;
    position.textContent = `Clip ${n} of ${clips.length}`;
    if (prompt) {
      prompt.textContent = clip.prompt;
      prompt.hidden = !clip.prompt;
    }
    if (download && downloads) download.setAttribute("href", `${base}download/${clip.video}`);
    steps.forEach((link) => setStep(link, n + Number(link.dataset.step)));
    document.querySelectorAll("[data-clip]").forEach((thumb) => {
      if (Number(thumb.dataset.clip) === n) thumb.setAttribute("aria-current", "true");
      else thumb.removeAttribute("aria-current");
    });
    if (remember) {
      const params = new URLSearchParams(location.search);
      params.set("clip", String(n));
      history.replaceState(null, "", `?${params}`);
    }
    if (play) video.play().catch(() => {}); // refused (no user gesture yet): the controls remain
  }

  function step(by) {
    const target = current + by;
    if (target < 1 || target > clips.length) return;
    show(target, { play: !video.paused });
  }

  root.addEventListener("click", (event) => {
    const link = event.target instanceof Element && event.target.closest("[data-step]");
    if (!link) return;
    event.preventDefault();
    step(Number(link.dataset.step));
  });

  document.addEventListener("click", (event) => {
    const thumb = event.target instanceof Element && event.target.closest("[data-clip]");
    if (!thumb || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    show(Number(thumb.dataset.clip), { play: true });
    root.scrollIntoView({ block: "start", behavior: "smooth" });
  });

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    // A field types, and a focused video seeks with the arrows: leave those their keys.
    if (target instanceof Element && target.closest("input, textarea, select, video, [contenteditable]")) return;
    if (event.key === "ArrowRight") {
      event.preventDefault();
      step(1);
    } else if (event.key === "ArrowLeft") {
      event.preventDefault();
      step(-1);
    }
  });

  // A horizontal swipe over the video: left for the next clip, right for the previous one.
  const surface = root.querySelector("[data-swipe]") || root;
  let touch = null;
  surface.addEventListener("touchstart", (event) => {
    touch = event.touches.length === 1 ? { x: event.touches[0].clientX, y: event.touches[0].clientY } : null;
  }, { passive: true });
  surface.addEventListener("touchend", (event) => {
    if (!touch || !event.changedTouches.length) return;
    const dx = event.changedTouches[0].clientX - touch.x;
    const dy = event.changedTouches[0].clientY - touch.y;
    touch = null;
    if (Math.abs(dx) > 50 && Math.abs(dx) > 1.5 * Math.abs(dy)) step(dx < 0 ? 1 : -1);
  }, { passive: true });

  // #clip-N (or #N) in the address picks the clip, as ?clip=N does.
  const hash = location.hash.match(/^#(?:clip-)?(\d+)$/);
  if (hash && Number(hash[1]) !== current) show(Number(hash[1]), { remember: true });
  window.addEventListener("hashchange", () => {
    const match = location.hash.match(/^#(?:clip-)?(\d+)$/);
    if (match) show(Number(match[1]));
  });
})();
