// The notices page: while the administrator types, how long the text message of a notice is
// (subject and text as written, placeholders counted as typed) and how many parts it takes.
(function () {
  "use strict";
  var ONE = 70, PART = 67;
  function parts(length) { return length === 0 ? 0 : (length <= ONE ? 1 : Math.ceil(length / PART)); }
  function update(form) {
    var subject = form.querySelector("input[name$='-subject']");
    var body = form.querySelector("textarea[name$='-body']");
    var out = form.querySelector("[data-sms-output]");
    if (!subject || !body || !out) { return; }
    var text = subject.value.trim() + ". " + body.value.trim();
    var length = Array.from(text).length;
    var zh = document.documentElement.lang.indexOf("zh") === 0;
    out.textContent = zh ? ("按原文计 " + length + " 字，" + parts(length) + " 条短信")
                         : (length + " characters as written, " + parts(length) + " text message(s)");
  }
  document.addEventListener("input", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-sms-count]") : null;
    if (form) { update(form); }
  });
})();
