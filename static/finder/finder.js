/* The finder's small enhancements; the page works without them (the link is shown as text and
   the browser prints). After the questions are sent, focus goes to the problem or the result. */
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  var result = document.getElementById("finder-result-title");
  if (summary) { summary.focus(); } else if (result) { result.focus(); }

  var tools = document.querySelector("[data-finder-tools]");
  if (!tools) { return; }
  tools.hidden = false;
  var status = tools.querySelector("[data-finder-copied]");
  tools.querySelector("[data-finder-print]").addEventListener("click", function () { window.print(); });
  tools.querySelector("[data-finder-copy]").addEventListener("click", function (event) {
    var input = document.getElementById(event.currentTarget.getAttribute("data-finder-copy"));
    function done() { status.textContent = status.getAttribute("data-copied-text"); }
    input.select();
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
})();
