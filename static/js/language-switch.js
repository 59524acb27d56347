// The language menu submits itself when a language is picked; without JavaScript the form's button does.
(function () {
  "use strict";
  document.querySelectorAll("form.lang-switch select[name=language]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
    var button = select.form.querySelector("button.lang-switch-submit");
    if (button) { button.hidden = true; }
  });
})();
