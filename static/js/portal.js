/* Small progressive enhancements; every page works without them. Loaded from a file (the
   Content Security Policy allows no inline script). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // A select marked data-submit-on-change sends its form as soon as a choice is made
  // (the language switch); without JavaScript its form has a visible submit button.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select instanceof HTMLSelectElement && select.hasAttribute("data-submit-on-change") && select.form) {
      if (select.form.requestSubmit) { select.form.requestSubmit(); } else { select.form.submit(); }
    }
  });

  // A table wider than its box (.table-responsive) scrolls inside it; the box then becomes a
  // labelled keyboard stop, so the arrow keys can scroll it.
  function markScrollingTables() {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      var caption = box.querySelector("caption");
      if (scrolls) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (caption && caption.textContent.trim()) || document.title);
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", markScrollingTables);
  } else {
    markScrollingTables();
  }
  window.addEventListener("resize", markScrollingTables);

  // A form marked data-send-when-seen ("Mark as read") sends itself once its section has been on
  // screen in a tab the person looks at: opening the page reads what it shows, but a prefetch, a
  // link preview or a tab opened in the background reads nothing. The answer is an empty 204; the
  // button then goes, its work done. Without JavaScript (or if sending fails) the button stays.
  function sendWhenSeen(form) {
    var seen = false;
    var sent = false;
    function send() {
      if (sent || !seen || document.visibilityState !== "visible") { return; }
      sent = true;
      fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin", redirect: "manual",
        headers: {"X-Requested-With": "fetch"}
      }).then(function (response) {
        if (response.status === 204) { form.hidden = true; }
      }).catch(function () { /* the button stays */ });
    }
    if (!("IntersectionObserver" in window) || !window.fetch) { return; }
    var observer = new IntersectionObserver(function (entries) {
      if (entries.some(function (entry) { return entry.isIntersecting; })) {
        seen = true;
        observer.disconnect();
        send();
      }
    });
    observer.observe(form.closest("section") || form);
    document.addEventListener("visibilitychange", send);
  }
  document.querySelectorAll("form[data-send-when-seen]").forEach(sendWhenSeen);
})();
