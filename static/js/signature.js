/* FieldLedger signature pads: draw with a finger or a mouse on each canvas; on submit, each drawing goes
   into its hidden field as a PNG data URL (the server checks it is a real, non-blank image). */
(function () {
  "use strict";

  document.querySelectorAll("[data-signature-for]").forEach(function (pad) {
    var canvas = pad.querySelector("canvas");
    var context = canvas.getContext("2d");
    var drawing = false, drawn = false;
    context.lineWidth = 3;
    context.lineCap = "round";
    context.strokeStyle = "#111827";

    function point(event) {
      var box = canvas.getBoundingClientRect();
      var source = event.touches ? event.touches[0] : event;
      return {
        x: (source.clientX - box.left) * (canvas.width / box.width),
        y: (source.clientY - box.top) * (canvas.height / box.height)
      };
    }
    function start(event) {
      drawing = true;
      var p = point(event);
      context.beginPath();
      context.moveTo(p.x, p.y);
      event.preventDefault();
    }
    function move(event) {
      if (!drawing) { return; }
      var p = point(event);
      context.lineTo(p.x, p.y);
      context.stroke();
      drawn = true;
      event.preventDefault();
    }
    function stop() { drawing = false; }

    canvas.addEventListener("pointerdown", start);
    canvas.addEventListener("pointermove", move);
    window.addEventListener("pointerup", stop);
    canvas.addEventListener("touchstart", start, { passive: false });
    canvas.addEventListener("touchmove", move, { passive: false });
    canvas.addEventListener("touchend", stop);
    pad.querySelector("[data-signature-clear]").addEventListener("click", function () {
      context.clearRect(0, 0, canvas.width, canvas.height);
      drawn = false;
    });
    var form = pad.closest("form");
    form.addEventListener("submit", function () {
      var field = form.querySelector("[name=" + pad.dataset.signatureFor + "]");
      if (field) { field.value = drawn ? canvas.toDataURL("image/png") : ""; }
    });
  });
})();
