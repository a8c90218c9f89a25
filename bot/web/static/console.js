// Staff console: live queue by short polling, canned replies, confirmations. Works without it too.
(function () {
  "use strict";
  var rows = document.getElementById("queue-rows");
  var baseTitle = document.title;

  function markTitle() {
    // an unclaimed emergency shows in the tab title, so it is seen from another tab
    var n = rows.querySelectorAll("tr.emergency.unclaimed").length;
    document.title = n ? "(" + n + ") DARURAT — " + baseTitle : baseTitle;
  }

  async function refresh() {
    try {
      var r = await fetch(rows.dataset.src, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}});
      if (r.status === 401) { location.href = "/console/login?next=" + encodeURIComponent(location.pathname + location.search); return; }
      if (!r.ok) return;
      // the fragment is rendered and escaped by the server's templates
      rows.innerHTML = await r.text();
      markTitle();
      document.dispatchEvent(new CustomEvent("queue:refreshed"));
    } catch (e) { /* offline for a moment: the next tick tries again */ }
  }

  if (rows) {
    markTitle();
    var ticks = 0;
    setInterval(function () {
      // while the live alert stream runs (alerts.js) its events bring the rows; polling is the fallback
      if (document.documentElement.dataset.alerts === "live" && ++ticks % 10) return;
      refresh();
    }, 3000);
    // a live alert (alerts.js, Server-Sent Events) asks for the rows at once
    document.addEventListener("queue:refresh", refresh);
  }

  var canned = document.getElementById("canned");
  var replyText = document.getElementById("reply-text");
  if (canned && replyText) {
    canned.addEventListener("change", function () {
      var opt = canned.options[canned.selectedIndex];
      if (opt && opt.dataset.text) { replyText.value = opt.dataset.text; replyText.focus(); }
    });
  }

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
    });
  });
})();
