// The receive page's QR scanner: the camera starts only when the holder taps the button, each
// frame is read by the browser's BarcodeDetector or by jsQR (loaded then, from this site), and
// the first OpenID4VCI offer found fills the paste box and sends its form. Without JavaScript,
// or without a camera, the paste box is the way.
(function () {
  "use strict";
  var stream = null;
  var timer = null;
  var jsQRLoading = null;

  function panel() { return document.querySelector("[data-scan]"); }
  function part(name) { var p = panel(); return p ? p.querySelector("[data-scan-" + name + "]") : null; }
  function say(key) {
    var status = part("status");
    if (status) { status.textContent = panel().getAttribute("data-scan-" + key) || ""; }
  }

  function show() {
    var p = panel();
    if (p && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) { p.hidden = false; }
  }

  function loadJsQR() {
    if (window.jsQR) { return Promise.resolve(window.jsQR); }
    if (!jsQRLoading) {
      jsQRLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = panel().getAttribute("data-scan-library");
        script.onload = function () { resolve(window.jsQR); };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return jsQRLoading;
  }

  function stop() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    var video = part("video");
    if (video) { video.hidden = true; video.srcObject = null; }
    var start = part("start"); if (start) { start.hidden = false; }
    var halt = part("stop"); if (halt) { halt.hidden = true; }
  }

  function found(text) {
    stop();
    say("found");
    var field = document.getElementById("offer-text");
    var form = document.getElementById("offer-form");
    if (!field || !form) { return; }
    field.value = text;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function looksLikeOffer(text) {
    return /credential_offer|^\s*\{/.test(text || "");
  }

  function scanWith(detect) {
    var video = part("video");
    var canvas = document.createElement("canvas");
    function tick() {
      if (!stream || !video) { return; }
      if (video.readyState >= 2 && video.videoWidth) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        var context = canvas.getContext("2d", { willReadFrequently: true });
        context.drawImage(video, 0, 0);
        Promise.resolve(detect(canvas, context)).then(function (text) {
          if (text && looksLikeOffer(text)) { found(text); } else { timer = setTimeout(tick, 200); }
        }, function () { timer = setTimeout(tick, 200); });
        return;
      }
      timer = setTimeout(tick, 200);
    }
    tick();
  }

  function detector() {
    if ("BarcodeDetector" in window) {
      var native = new window.BarcodeDetector({ formats: ["qr_code"] });
      return Promise.resolve(function (canvas) {
        return native.detect(canvas).then(function (codes) {
          return codes.length ? codes[0].rawValue : null;
        });
      });
    }
    return loadJsQR().then(function (jsQR) {
      return function (canvas, context) {
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var code = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        return code ? code.data : null;
      };
    });
  }

  function start() {
    var video = part("video");
    if (!video) { return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        part("start").hidden = true;
        part("stop").hidden = false;
        say("looking");
        return video.play().then(detector).then(scanWith);
      })
      .catch(function () { stop(); say("denied"); });
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-scan-start]")) { start(); }
    if (event.target.closest("[data-scan-stop]")) { stop(); }
  });
  document.addEventListener("DOMContentLoaded", show);
  document.addEventListener("htmx:afterSwap", function () { stop(); show(); });
  window.addEventListener("pagehide", stop);
})();
