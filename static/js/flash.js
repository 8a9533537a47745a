// The message an action leaves (templates/base.html, class "flash" with data-announce): a status
// region already in the page when it loads is not reliably read by screen readers, so focus moves to
// it (tabindex=-1): it is read at once, and the next Tab goes on from there. Not when the page gives
// the focus to a field (autofocus, as the sign-in form's user name) or something took it already.
(function () {
  "use strict";
  function announce() {
    var message = document.querySelector("[data-announce]");
    if (message && !document.querySelector("[autofocus]")
        && (!document.activeElement || document.activeElement === document.body)) {
      message.focus({preventScroll: true});
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", announce);
  } else {
    announce();
  }
})();
