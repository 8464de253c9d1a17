// Theme: dark by default, light on request; remembered per browser. Runs before paint.
// Every page loads it, the admin too (templates/admin/base_site.html), so one choice holds
// everywhere; any [data-theme-toggle] button switches it.
(function () {
  document.documentElement.classList.add("js"); // CSS that needs the scripts to undo it (gallery filters)
  var stored = null;
  try { stored = localStorage.getItem("ltxdash-theme"); } catch (e) {}
  document.documentElement.dataset.theme = stored === "light" ? "light" : "dark";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-theme-toggle]");
    if (!button) return;
    var next = document.documentElement.dataset.theme === "light" ? "dark" : "light";
    document.documentElement.dataset.theme = next;
    try { localStorage.setItem("ltxdash-theme", next); } catch (e) {}
  });
})();
