/* Interactive charts on demand. The page works without this file: every chart is also a table
   with CSS bars. Pressing "Show interactive chart" loads our own copy of Plotly's basic bundle
   (once), fetches the chart's figure as JSON from the same site, and draws it. */
(function () {
  "use strict";
  var loading = null;

  function plotly(src) {
    if (window.Plotly) { return Promise.resolve(window.Plotly); }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = src;
        script.onload = function () { resolve(window.Plotly); };
        script.onerror = function () { loading = null; reject(new Error("could not load the chart library")); };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function show(button) {
    var target = document.getElementById(button.getAttribute("aria-controls"));
    button.disabled = true;
    button.textContent = button.getAttribute("data-loading");
    Promise.all([
      plotly(button.getAttribute("data-library")),
      fetch(button.getAttribute("data-figure"), { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { throw new Error("no chart"); }
        return r.json();
      })
    ]).then(function (got) {
      target.hidden = false;
      return got[0].newPlot(target, got[1].data, got[1].layout, { displaylogo: false, responsive: true });
    }).then(function () {
      button.hidden = true;
    }).catch(function () {
      button.disabled = false;
      button.textContent = button.getAttribute("data-failed");
    });
  }

  var buttons = document.querySelectorAll("button[data-figure]");
  for (var i = 0; i < buttons.length; i++) { buttons[i].hidden = false; }  /* only with JavaScript */

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-figure]");
    if (button) { show(button); }
  });
})();
