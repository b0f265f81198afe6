// Organization page: Escape cancels the inline edit; the page works without this file.
// (After a save or cancel, htmx focuses the heading: it carries autofocus in htmx responses.)
(function () {
  "use strict";
  // Escape in the inline edit form cancels it, as its Cancel link does.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var form = event.target.closest && event.target.closest("form#org-header");
    if (!form) return;
    var cancel = form.querySelector("a[hx-get]");
    if (cancel) { event.preventDefault(); cancel.click(); }
  });
})();
