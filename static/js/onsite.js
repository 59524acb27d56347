/* FieldLedger on-site wizard: geolocation at check-in, autosave of drafts, the phone's clock on
   submission, no double submission, and fields shown only when they apply. Every page works without it. */
(function () {
  "use strict";

  function text(el, value) { if (el) { el.hidden = false; el.textContent = value; } }

  // --- check-in: the phone's location, asked once, for this check-in only --------------------------
  document.querySelectorAll("form[data-geolocate]").forEach(function (form) {
    var asked = false;
    form.addEventListener("submit", function (event) {
      if (asked || !navigator.geolocation) { return; }
      event.preventDefault();
      asked = true;
      var status = form.querySelector(".geo-status");
      text(status, form.dataset.locating || "…");
      var set = function (name, value) { var input = form.querySelector("[name=" + name + "]"); if (input) { input.value = value; } };
      navigator.geolocation.getCurrentPosition(function (position) {
        set("position_status", "given");
        set("latitude", position.coords.latitude.toFixed(6));
        set("longitude", position.coords.longitude.toFixed(6));
        set("accuracy", Math.round(position.coords.accuracy));
        form.submit();
      }, function (error) {
        set("position_status", error.code === 1 ? "denied" : "unavailable");
        form.submit();
      }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 0 });
    });
  });

  // --- the phone's clock when a submission is sent (a late log is recorded with both times) ------------
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var clock = form.querySelector("[name=client_time]");
      if (clock) { clock.value = new Date().toISOString(); }
      // One submission at a time; the idempotency key makes a retry safe anyway.
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        setTimeout(function () { button.disabled = true; }, 0);
        setTimeout(function () { button.disabled = false; }, 8000);
      });
    });
  });

  // --- autosave: every change of a draft step is saved on the server ------------------------------
  var statusLine = document.querySelector(".autosave-status");
  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var timer = null, pending = false;
    function save() {
      timer = null;
      var data = new FormData(form);
      fetch(form.action || window.location.href, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-Autosave": "1", "X-Requested-With": "fetch" }
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        pending = false;
        if (result.ok) {
          var left = (result.body.errors || [])[0];
          text(statusLine, (statusLine.dataset.saved || "Draft saved") + " " + result.body.saved_at +
            (left ? " · " + (statusLine.dataset.partly || "kept out of the draft") + ": " + left.message : ""));
        } else {
          var first = (result.body.errors || [])[0];
          text(statusLine, (statusLine.dataset.failed || "Not saved") + (first ? ": " + first.message : ""));
        }
      }).catch(function () {
        pending = true;
        text(statusLine, statusLine.dataset.offline || "Offline: the draft will be saved when the connection is back.");
      });
    }
    form.addEventListener("change", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(save, 600);
    });
    window.addEventListener("online", function () { if (pending) { save(); } });
  });

  // --- fields that apply only to some answers -------------------------------------------------------
  function value(form, name) {
    var checked = form.querySelector("[name=" + name + "]:checked");
    if (checked) { return checked.value; }
    var input = form.querySelector("select[name=" + name + "]");
    return input ? input.value : "";
  }
  function toggle(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (el) {
      var rule = el.dataset.showWhen.split("="), wanted = rule[1].split("|");
      el.hidden = wanted.indexOf(value(form, rule[0])) < 0;
    });
  }
  var conditional = {
    identification: "relation=debtor|family|colleague|other",
    id_last4: "identification=id_card",
    entry: "relation=debtor|family|colleague|other",
    entry_consent: "entry=inside",
    promise_amount: "outcome=promise_to_pay",
    promise_date: "outcome=promise_to_pay",
    dispute_text: "outcome=dispute_raised",
    reschedule_note: "outcome=rescheduled",
    incident_note: "safety_incident=on"
  };
  document.querySelectorAll("form.wizard-form").forEach(function (form) {
    Object.keys(conditional).forEach(function (name) {
      var input = form.querySelector("[name=" + name + "]");
      var box = input && input.closest("div");
      if (box && box.parentElement === form) { box.dataset.showWhen = conditional[name]; }
    });
    form.addEventListener("change", function () { toggle(form); });
    toggle(form);
  });
})();
