// A form that must not be sent twice (data-sent-once: the register form). The browser's Back fetches
// such a page afresh — signed-in pages are kept out of its cache, for shared PCs — and fills in what
// was typed, but the page brings a new submission token: sent again, the same complaint would be
// registered twice. So the token of the form sent is kept for this tab, and the form reached again
// by Back or Forward takes it back: the server then answers with the complaint registered already.
// A form opened anew (a link, the menu) keeps its own token.
(function () {
  "use strict";
  var KEPT = "sent-once-token";
  function setUp() {
    var form = document.querySelector("form[data-sent-once]");
    if (!form) {
      return;
    }
    var token = form.querySelector("input[name=submission_token]");
    var entries = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation") : [];
    var sent = window.sessionStorage.getItem(KEPT);
    if (sent && entries.length && entries[0].type === "back_forward") {
      token.value = sent;
    }
    form.addEventListener("submit", function () {
      window.sessionStorage.setItem(KEPT, token.value);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
