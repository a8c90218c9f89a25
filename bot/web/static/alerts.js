// Live alerts on every console page: Server-Sent Events from /console/alerts/stream (fed from the
// database), a short tone (WebAudio, nothing downloaded), a browser notification, and a blinking
// title until the case is claimed. Without EventSource the queue's polling (console.js) still runs.
(function () {
  "use strict";
  var me = document.currentScript;
  var src = (me && me.dataset.stream) || "/console/alerts/stream";
  var baseTitle = null;
  var blinking = {};  // case number -> alert text, while the case is unclaimed
  var blinkTimer = null;
  var blinkOn = false;
  var audio = null;
  var MARK = "(!) ";  // the blinking title's prefix (plain text: not every phone has emoji fonts)

  // -- the banner and the permission button --------------------------------------------------------
  var banner = document.createElement("div");
  banner.id = "alert-banner";
  banner.setAttribute("role", "alert");
  banner.hidden = true;
  var main = document.querySelector("main");
  if (main) main.parentNode.insertBefore(banner, main);

  var nav = document.querySelector("header.top nav");
  var button = document.createElement("button");
  button.type = "button";
  button.id = "alerts-on";
  button.className = "link";
  button.textContent = "Nyalakan suara & notifikasi";
  if (nav) nav.insertBefore(button, nav.firstChild);
  function permissionShown() {
    var granted = window.Notification && Notification.permission === "granted";
    if (granted && audio) button.textContent = "Suara & notifikasi aktif";
  }
  button.addEventListener("click", function () {
    // a click is the user gesture browsers require for sound and for asking to notify
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
    } catch (e) { audio = null; }
    if (window.Notification && Notification.permission === "default") {
      Notification.requestPermission().then(permissionShown);
    }
    button.textContent = "Suara aktif";
    permissionShown();
  });

  function tone() {
    if (!audio) return;
    try {
      var t = audio.currentTime;
      [0, 0.25].forEach(function (d) {  // two short beeps
        var o = audio.createOscillator(), g = audio.createGain();
        o.type = "square";
        o.frequency.value = 880;
        g.gain.setValueAtTime(0.15, t + d);
        g.gain.exponentialRampToValueAtTime(0.001, t + d + 0.18);
        o.connect(g); g.connect(audio.destination);
        o.start(t + d); o.stop(t + d + 0.2);
      });
    } catch (e) { /* no sound device: the title and the banner still say it */ }
  }

  function notify(ev) {
    if (!window.Notification || Notification.permission !== "granted") return;
    try {
      var n = new Notification(ev.text, {body: "Buka konsol untuk menanganinya.", tag: ev.case, requireInteraction: ev.blink});
      n.onclick = function () { window.focus(); location.href = "/console/cases/" + ev.case_id; };
    } catch (e) { /* some browsers allow notifications only from a service worker */ }
  }

  // -- the blinking title --------------------------------------------------------------------------
  function firstBlinking() {
    for (var k in blinking) if (Object.prototype.hasOwnProperty.call(blinking, k)) return blinking[k];
    return null;
  }
  function blinkTick() {
    var text = firstBlinking();
    if (!text) { stopBlink(); return; }
    blinkOn = !blinkOn;
    if (blinkOn) {
      if (document.title.indexOf(MARK) !== 0) baseTitle = document.title;
      document.title = MARK + text;
    } else if (baseTitle !== null) {
      document.title = baseTitle;
    }
  }
  function startBlink() {
    if (!blinkTimer) { blinkTimer = setInterval(blinkTick, 800); blinkTick(); }
    document.documentElement.dataset.blinking = "1";
  }
  function stopBlink() {
    if (blinkTimer) { clearInterval(blinkTimer); blinkTimer = null; }
    if (blinkOn && baseTitle !== null) document.title = baseTitle;
    blinkOn = false;
    document.documentElement.dataset.blinking = "0";
  }
  function showBanner() {
    var text = firstBlinking() || banner.dataset.last;
    if (!text) { banner.hidden = true; return; }
    banner.textContent = "";
    var strong = document.createElement("strong");
    strong.textContent = text;  // textContent: never markup from the stream
    banner.appendChild(strong);
    if (banner.dataset.caseId) {
      var a = document.createElement("a");
      a.href = "/console/cases/" + banner.dataset.caseId;
      a.textContent = "Buka kasus";
      banner.appendChild(document.createTextNode(" "));
      banner.appendChild(a);
    }
    banner.hidden = false;
  }

  function claimedNow(number) {
    if (blinking[number]) delete blinking[number];
    if (!firstBlinking()) { stopBlink(); banner.dataset.last = ""; showBanner(); }
  }

  // the open-case counts above the queue (queue.html) follow the rows
  var counts = document.querySelector("p.counts");
  async function refreshCounts() {
    if (!counts) return;
    try {
      var r = await fetch("/console/queue.json", {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}});
      if (!r.ok) return;
      var c = (await r.json()).counts;
      [["darurat", "Darurat", c.emergency], ["p-high", "Tinggi", c.high], ["p-normal", "Biasa", c.normal]].forEach(function (x) {
        var badge = counts.querySelector(".badge." + x[0]);
        if (badge && typeof x[2] === "number") badge.textContent = x[1] + " " + x[2];
      });
    } catch (e) { /* the next event or page load corrects them */ }
  }

  // a burst of events (many cases past a target at once) sounds and notifies once, not once per case
  var lastLoud = 0;
  function loud(ev) {
    var now = Date.now();
    if (now - lastLoud < 2000) return;
    lastLoud = now;
    tone();
    notify(ev);
  }

  function onCase(ev) {
    document.dispatchEvent(new CustomEvent("queue:refresh"));  // console.js fetches the rows now
    refreshCounts();
    if (ev.status !== "new") claimedNow(ev.case);
    if (!ev.alert) return;
    banner.dataset.last = ev.text;
    banner.dataset.caseId = ev.case_id;
    if (ev.blink) { blinking[ev.case] = ev.text; startBlink(); }
    showBanner();
    loud(ev);
  }

  // after each refresh of the queue: a case claimed elsewhere stops blinking
  document.addEventListener("queue:refreshed", function () {
    Object.keys(blinking).forEach(function (number) {
      var row = document.querySelector('#queue-rows tr[data-case="' + number + '"]');
      if (row && !row.classList.contains("unclaimed")) claimedNow(number);
    });
  });

  if (!window.EventSource) return;
  var stream = new EventSource(src);
  stream.addEventListener("ready", function () { document.documentElement.dataset.alerts = "live"; });
  stream.addEventListener("case", function (m) {
    try { onCase(JSON.parse(m.data)); } catch (e) { /* a malformed event is skipped */ }
  });
  stream.onerror = function () {
    // EventSource retries by itself (and says "ready" again); meanwhile, or for good after a 401,
    // the queue's polling (console.js) takes over
    document.documentElement.dataset.alerts = "off";
  };
})();
