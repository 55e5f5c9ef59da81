// The import's progress bar: polls until done (a static file: the CSP allows no inline script).
(function () {
  var bar = document.getElementById("progression");
  var text = document.getElementById("progression-texte");
  function poll() {
    fetch(bar.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (p) {
      bar.value = p.percent;
      text.textContent = p.done + " / " + p.total;
      if (p.running) { setTimeout(poll, 1000); } else { window.location.reload(); }
    }).catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
