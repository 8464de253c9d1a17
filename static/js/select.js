// Select mode of a grid of clips (templates/gallery/_select_bar.html). Without JavaScript the
// checkboxes and the bar are always there and the forms post; this adds a Select toggle that
// shows them, shift-click to tick a range, "Select all on this page", and a live count.
// Listeners sit on the document, so cards added later by infinite scroll work too.
(() => {
  "use strict";
  const root = document.documentElement;
  let last = null; // the checkbox clicked last: one end of a shift-click range

  const boxes = () => Array.from(document.querySelectorAll("input[data-select]"));

  function update() {
    const bar = document.querySelector("[data-select-bar]");
    if (!bar) return;
    const count = boxes().filter((box) => box.checked).length;
    const all = bar.querySelector("[data-select-all]");
    const label = bar.querySelector("[data-select-count]");
    if (all && all.checked) {
      label.textContent = all.closest("label").textContent.trim() + " selected";
    } else if (count) {
      label.textContent = count === 1 ? "1 clip selected" : `${count} clips selected`;
    } else {
      label.textContent = "Tick clips to act on several at once (shift-click ticks a range).";
    }
    bar.classList.toggle("has-selection", count > 0 || (all && all.checked));
  }

  function setMode(on) {
    root.classList.toggle("selecting", on);
    document.querySelectorAll("[data-select-toggle]").forEach((button) => {
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "Done" : "Select";
    });
    if (!on) {
      boxes().forEach((box) => (box.checked = false));
      const all = document.querySelector("[data-select-all]");
      if (all) all.checked = false;
      last = null;
    }
    update();
  }

  document.addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-select-toggle]");
    if (toggle) {
      setMode(!root.classList.contains("selecting"));
      if (root.classList.contains("selecting")) document.querySelector("[data-select-count]")?.focus?.();
      return;
    }
    if (event.target.closest("[data-select-page]")) {
      boxes().forEach((box) => (box.checked = true));
      update();
      return;
    }
    const box = event.target.closest("input[data-select]");
    if (box) {
      if (event.shiftKey && last && last !== box) {
        const all = boxes();
        const [from, to] = [all.indexOf(last), all.indexOf(box)].sort((a, b) => a - b);
        if (from >= 0) all.slice(from, to + 1).forEach((each) => (each.checked = box.checked));
      }
      last = box;
      update();
    }
  });

  // "Everything matching": how many that is, asked when it is ticked (a page never counts).
  async function showCount(all) {
    const out = all.closest("label").querySelector("[data-select-all-count]");
    if (!out || !all.checked) return update();
    out.textContent = " (counting…)";
    try {
      const response = await fetch(all.dataset.countUrl, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const found = await response.json();
      out.textContent = found.more ? ` (more than ${found.count}: narrow the filter)` : ` (${found.count})`;
    } catch (error) {
      out.textContent = " (the count could not be fetched; the action will say how many)";
    }
    update();
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-select-all]")) showCount(event.target);
  });

  // A grid swapped in by the filter form (HTMX) brings a new bar: keep the mode, recount.
  document.addEventListener("htmx:afterSettle", () => {
    document.querySelectorAll("[data-select-toggle]").forEach((b) => (b.hidden = false));
    update();
  });

  document.querySelectorAll("[data-select-toggle]").forEach((button) => (button.hidden = false));
  update();
})();
