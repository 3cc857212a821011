// While a chain check runs, follow its progress without reloading the page: fetch the status
// every two seconds and put it in place. Without JavaScript the page offers a link instead.
(function () {
  "use strict";
  var EVERY = 2000;

  function refresh() {
    var region = document.getElementById("chain-check");
    if (!region || !region.dataset.poll) {
      return;
    }
    fetch(region.dataset.poll, {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("chain-check");
        if (!fresh) {
          throw new Error("no status in the answer");
        }
        region.innerHTML = fresh.innerHTML;
        if (fresh.dataset.poll) {
          region.dataset.poll = fresh.dataset.poll;
          window.setTimeout(refresh, EVERY);
        } else {
          delete region.dataset.poll;
        }
      })
      .catch(function () {
        window.setTimeout(refresh, EVERY * 3);
      });
  }

  window.setTimeout(refresh, EVERY);
})();
