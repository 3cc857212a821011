// Sign-in security: once a passkey is added, show the page again, with it in the list and the
// message the server left. Loaded from a file: the Content Security Policy allows no inline script.
(function () {
  "use strict";
  document.addEventListener("otp_webauthn.register_complete", function () {
    window.location.reload();
  });
})();
