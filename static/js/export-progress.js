// Export progress: poll the status URL and move the progress bar; reload when the export is finished.
// Without JavaScript the page refreshes itself (<meta http-equiv="refresh"> in a <noscript>).
(function () {
  "use strict";
  var box = document.querySelector("[data-export-status-url]");
  if (!box || box.getAttribute("data-finished") === "true") {
    return;
  }
  var url = box.getAttribute("data-export-status-url");
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-export-progress-text]");
  var status = box.querySelector("[data-export-status]");
  var delay = 1000;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (bar) {
          bar.value = data.percent;
        }
        if (text) {
          text.textContent = data.processed + " / " + data.total + " (" + data.percent + "%)";
        }
        if (status) {
          status.textContent = data.status_label;
        }
        if (data.finished) {
          window.location.reload();
          return;
        }
        delay = Math.min(delay * 1.5, 10000);
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 30000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
