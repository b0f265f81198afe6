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
  // An htmx request refused as a whole (403/404/500) swaps nothing: say so instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var box = document.getElementById("messages");
    if (!box) return;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var text = status === 403 ? "You are no longer allowed to do this. Reload the page to see what you can do."
      : status === 404 ? "This no longer exists. Reload the page to see the current state."
      : "Something went wrong. Try again, or reload the page.";
    var message = document.createElement("p");
    message.className = "message message-error";
    message.setAttribute("role", "alert");
    message.textContent = text;
    box.replaceChildren(message);
  });
})();
