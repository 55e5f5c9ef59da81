// The sign-up's progress page: polls until done (a static file: the CSP allows no inline script).
(function () {
  var box = document.getElementById("signup-progress");
  var url = box.dataset.statusUrl, started = box.dataset.status;
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.status !== "verified" && data.status !== "provisioning") {
          window.location.reload();
        } else {
          document.getElementById("signup-status-label").textContent = data.label;
          setTimeout(poll, 700);
        }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 500);
})();
