/* The conference screen (templates/published/screen.html). Without this file every slide is a
   page with Previous and Next links. With it: the arrow keys (and Page Up / Page Down, as a
   presenter's clicker sends) move between slides, the screen moves on by itself every
   data-seconds, Space or the Pause button stops it, and a live poll asks data-poll every
   data-poll-seconds whether a new batch of results was released: same answers, the bars and
   numbers change in place; different ones, the slide is loaded again. Paused, the screen stays
   exactly as it is (no moving on, no updates) until Resume; the pause holds from slide to slide. */
(function () {
  "use strict";
  var body = document.body;
  var button = document.getElementById("pause");
  var KEY = "screen-paused";
  var advance = null;
  var poll = null;

  function stored(value) {
    try {
      if (value === undefined) { return window.sessionStorage.getItem(KEY) === "1"; }
      if (value) { window.sessionStorage.setItem(KEY, "1"); } else { window.sessionStorage.removeItem(KEY); }
    } catch (e) { /* storage refused: the pause lasts for this slide only */ }
    return false;
  }
  var paused = stored();

  function go(attribute) { window.location.assign(body.getAttribute(attribute)); }

  function start() {
    var seconds = Number(body.getAttribute("data-seconds"));
    if (seconds > 0) { advance = window.setTimeout(function () { go("data-next"); }, 1000 * seconds); }
    var every = Number(body.getAttribute("data-poll-seconds"));
    if (body.hasAttribute("data-poll") && every > 0) { poll = window.setInterval(check, 1000 * every); }
  }

  function stop() {
    if (advance !== null) { window.clearTimeout(advance); advance = null; }
    if (poll !== null) { window.clearInterval(poll); poll = null; }
  }

  function show() {
    button.textContent = button.getAttribute(paused ? "data-resume" : "data-pause");
    button.setAttribute("aria-pressed", paused ? "true" : "false");
  }

  function toggle() {
    paused = !paused;
    stored(paused);
    show();
    if (paused) { stop(); } else { check(); start(); }
  }

  function same(a, b) { return a.join(" ") === b.join(" "); }

  function update(data) {
    if (paused) { return; }
    var codes = (body.getAttribute("data-codes") || "").split(" ").filter(Boolean);
    if (String(data.batch) === body.getAttribute("data-batch")) { return; }
    if (String(data.slide) !== body.getAttribute("data-slide") || data.question !== body.getAttribute("data-question") ||
        !same(data.codes, codes)) {
      window.location.replace(data.url);  /* other answers, or the question moved: load its slide again */
      return;
    }
    body.setAttribute("data-batch", String(data.batch));
    data.bars.forEach(function (bar) {
      var item = document.querySelector('.bar[data-code="' + CSS.escape(bar.code) + '"]');
      if (!item) { return; }
      item.querySelector(".fill").style.width = bar.percent.toFixed(1) + "%";
      item.querySelector(".value").textContent = bar.text;
    });
    data.rows.forEach(function (row) {
      var item = document.querySelector('.ranked-row[data-code="' + CSS.escape(row.code) + '"]');
      if (!item) { return; }
      var fills = item.querySelectorAll(".ranked-track .fill");
      var values = item.querySelectorAll(".ranked-side .value");
      [row.left, row.right].forEach(function (value, i) {
        fills[i].style.setProperty("--share", ((value || 0) / 100).toFixed(3));
        values[i].firstChild.nodeValue = row.text[i];
      });
      var net = item.querySelector(".ranked-net .value");
      if (net) { net.textContent = row.text[2]; }
    });
    var updated = document.getElementById("updated");
    if (updated) { updated.textContent = data.updated_text; }
  }

  function check() {
    var address = body.getAttribute("data-poll");
    if (!address || paused) { return; }
    fetch(address, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
      .then(update)
      .catch(function () { /* try again at the next poll: the slide keeps its numbers */ });
  }

  button.hidden = false;
  show();
  button.addEventListener("click", toggle);
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key;
    if (key === "ArrowRight" || key === "PageDown") { event.preventDefault(); go("data-next"); }
    else if (key === "ArrowLeft" || key === "PageUp") { event.preventDefault(); go("data-previous"); }
    else if (key === " " || key === "Spacebar") {
      if (event.target === button) { return; }  /* the button's own click */
      event.preventDefault();
      toggle();
    }
  });
  if (!paused) { start(); }
})();
