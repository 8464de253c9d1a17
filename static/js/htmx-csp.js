// htmx under our Content-Security-Policy (no inline style without a nonce, no eval). Deferred
// like htmx and after it, so it runs once htmx has loaded and before it starts (on
// DOMContentLoaded), on every page. Here and not in a
// <meta name="htmx-config">: htmx reads only the first such tag, and pages keep theirs for
// their own settings (the create page's responseHandling).
(function () {
  "use strict";
  if (!window.htmx) return;
  htmx.config.includeIndicatorStyles = false; // its injected <style>; we use no .htmx-indicator
  htmx.config.allowEval = false; // no hx-on, hx-vals "js:" or trigger filters: nothing to eval
  // Settling copies an old element's attributes onto its replacement. Our markup has no style=
  // attribute, but a browser extension (or a test's screenshot) may leave one on an input, and
  // copying it is an inline style the CSP blocks.
  htmx.config.attributesToSettle = ["class", "width", "height"];
})();
