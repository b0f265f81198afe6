// Small behaviours for the portal; everything works without this file.
(function () {
  "use strict";
  // Copy buttons: <button data-copy="#element-id">Copy</button>
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = "Copied";
    });
  });
  // One dialog can confirm many rows: its <form data-opener-action> posts where the opening
  // link points (without JS, that link is the confirm page), and the link's data-* fill the
  // text: [data-fill="name"] gets data-name's text, [data-fill-if="name"] shows when it is present.
  function fill(dialog, opener) {
    var form = dialog.querySelector("form[data-opener-action]");
    var href = opener.getAttribute("href");
    if (!form || !href) return;
    dialog.querySelectorAll("[data-fill]").forEach(function (slot) {
      slot.textContent = opener.getAttribute("data-" + slot.getAttribute("data-fill")) || "";
    });
    dialog.querySelectorAll("[data-fill-if]").forEach(function (slot) {
      slot.hidden = !opener.hasAttribute("data-" + slot.getAttribute("data-fill-if"));
    });
    form.setAttribute("action", href);
    form.setAttribute("hx-post", href);
    if (window.htmx) window.htmx.process(form);
  }
  // Confirmation dialogs: <button data-dialog="#dialog-id" type="button"> opens a <dialog>;
  // [data-close] inside closes it. Without JS the button is a link to a confirm page.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog]");
    if (opener) {
      var dialog = document.querySelector(opener.getAttribute("data-dialog"));
      if (dialog && dialog.showModal) { event.preventDefault(); fill(dialog, opener); dialog.showModal(); }
      return;
    }
    var closer = event.target.closest("[data-close]");
    if (closer) {
      var open = closer.closest("dialog");
      if (open) { event.preventDefault(); open.close(); }
    }
  });
  // Close any open dialog after an htmx swap that came from inside it.
  document.body && document.body.addEventListener("htmx:afterRequest", function (event) {
    var dialog = event.target.closest && event.target.closest("dialog");
    if (dialog && dialog.open && event.detail.successful) dialog.close();
  });
  // An htmx request refused as a whole (403/404/500) swaps nothing: say so on every page.
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
    var dialog = event.target.closest && event.target.closest("dialog");
    if (dialog && dialog.open) dialog.close();
  });
})();
