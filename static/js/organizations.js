// Organization page: keep keyboard focus somewhere sensible after htmx swaps; the page works without this file.
(function () {
  "use strict";
  // htmx:load fires on the new content (events on the swapped-out form no longer reach the document).
  document.addEventListener("htmx:load", function (event) {
    // After saving or cancelling the inline edit the focused form is gone: focus the heading that replaced it.
    var header = event.target;
    if (!header || header.id !== "org-header" || header.tagName === "FORM") return;
    var active = document.activeElement;
    if (!active || active === document.body || !document.contains(active)) {
      var heading = header.querySelector("h1");
      if (heading) heading.focus();
    }
  });
  // Escape in the inline edit form cancels it, as its Cancel link does.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var form = event.target.closest && event.target.closest("form#org-header");
    if (!form) return;
    var cancel = form.querySelector("a[hx-get]");
    if (cancel) { event.preventDefault(); cancel.click(); }
  });
})();
