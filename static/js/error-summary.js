/* After a failed Continue, move focus to the error summary (GOV.UK's pattern), so that keyboard and
 * screen-reader users start at the list of what to fix. Without JavaScript the summary is still
 * the first thing on the page, just not focused. */
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
})();
