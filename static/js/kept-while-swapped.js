// What is typed into a part of a page while HTMX fetches its new content (data-keep-typed: the
// register form's own fields, fetched again when the category changes). The new content is rendered
// from what was sent with the request, before the typing: a field it brings back empty gets the
// value typed meanwhile, so a quick user loses nothing.
(function () {
  "use strict";
  var TYPED = "input:not([type=checkbox]):not([type=radio]):not([type=hidden]), textarea, select";
  var kept = new WeakMap();
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target.hasAttribute("data-keep-typed")) {
      return;
    }
    var typed = {};
    target.querySelectorAll(TYPED).forEach(function (field) {
      if (field.name && field.value) {
        typed[field.name] = field.value;
      }
    });
    kept.set(target, typed);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var typed = kept.get(target);
    if (!typed) {
      return;
    }
    kept.delete(target);
    target.querySelectorAll(TYPED).forEach(function (field) {
      if (field.name && !field.value && typed[field.name]) {
        field.value = typed[field.name];
      }
    });
  });
})();
