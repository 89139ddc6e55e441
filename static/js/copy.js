/* "Copy link" buttons on organisers' pages.
 *
 * Without JavaScript the button stays hidden and the link is plain selectable text in a read-only
 * box. With it, the button appears; pressing it copies the box's text and says so in a status
 * line that screen readers announce. A button is <button data-copy="ID of the box">, and its
 * status line <p data-copy-status="the same ID" role="status">. After a copy the button carries
 * data-copied="true", so that a test can see what happened without reading the clipboard. */
(function () {
  "use strict";

  function say(id, text) {
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (status) {
      status.textContent = text;
    }
  }

  /* The old way, for browsers without the clipboard API (or a page not served over HTTPS). */
  function copyBySelecting(box) {
    box.focus();
    box.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  function copied(button, id, ok) {
    button.setAttribute("data-copied", ok ? "true" : "false");
    say(id, ok ? button.getAttribute("data-copied-text") || "Copied" : "Select the link and copy it.");
  }

  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var id = button.getAttribute("data-copy");
    var box = document.getElementById(id);
    if (!box) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = box.value || box.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { copied(button, id, true); },
          function () { copied(button, id, copyBySelecting(box)); }
        );
      } else {
        copied(button, id, copyBySelecting(box));
      }
    });
  });
})();
