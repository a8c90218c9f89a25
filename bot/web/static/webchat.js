// Web chat: the history and new replies come from the server (polling, so an officer's answer
// written later arrives too); sending is a POST. The session is an HttpOnly cookie the server
// sets: this script never sees it and never puts it in a URL.
(function () {
  "use strict";
  const API = "/try/api/messages";
  const POLL_MS = 2500;
  // 7 to 15 digits, single spaces or hyphens between: "0811-8080-141", "+62 21 2924 4800".
  // Not inside a word, a case number (MC-2026-00042) or an amount (15.000.000).
  const PHONE = /(?<![\w.\/-])\+?\d(?:[ -]?\d){6,14}(?![\w\/-])/g;

  const log = document.getElementById("log");
  const welcome = document.getElementById("welcome");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const sendButton = document.getElementById("send");
  let lastId = 0;  // the last message on screen; the server sends what follows it
  let busy = false;  // a send is in flight: polling waits, so no message is drawn twice
  let sends = 0;  // a poll answer that started before a send is stale
  let failed = null;  // {text, id} of a send that failed: a retry reuses the id, the server dedupes

  function appendText(parent, text, links) {
    // text nodes and <a> elements only, never innerHTML: messages are user and bot text
    let at = 0;
    if (links) {
      for (const m of text.matchAll(PHONE)) {
        parent.append(text.slice(at, m.index));
        const a = document.createElement("a");
        a.href = "tel:" + m[0].replace(/[ -]/g, "");
        a.textContent = m[0];
        parent.append(a);
        at = m.index + m[0].length;
      }
    }
    parent.append(text.slice(at));
  }

  function buttonRow(items) {
    const row = document.createElement("div");
    row.className = "buttons";
    items.forEach(([label, onPress]) => {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = label;
      btn.addEventListener("click", onPress);
      row.append(btn);
    });
    return row;
  }

  function bubble(m) {
    const div = document.createElement("div");
    // "bot" marks every message from the helpdesk's side; "officer" a person's answer within it
    div.className = m.from === "user" ? "msg user" : m.from === "officer" ? "msg bot officer" : "msg bot";
    if (m.from === "officer") {
      const who = document.createElement("div");
      who.className = "who";
      who.textContent = "Petugas";
      div.append(who);
    }
    appendText(div, m.text, m.from !== "user");
    if (m.buttons && m.buttons.length) {
      div.append(buttonRow(m.buttons.map(b => [b.label, () => send(b.payload, b.label)])));
    }
    return div;
  }

  function show(el) {
    log.append(el);  // CSS shows buttons on the last message only
    log.scrollTop = log.scrollHeight;
  }

  function render(messages) {
    (messages || []).forEach(m => {
      if (m.id <= lastId) return;
      show(bubble(m));
      lastId = m.id;
    });
  }

  function reset() {
    // the session ended: show only the welcome, as for a new visitor
    Array.from(log.children).forEach(el => { if (el !== welcome) el.remove(); });
    lastId = 0;
  }

  function clearNotice() {
    log.querySelectorAll(".notice").forEach(el => el.remove());
  }

  function newId() {
    return Array.from(crypto.getRandomValues(new Uint8Array(12)), b => b.toString(16).padStart(2, "0")).join("");
  }

  // Returns true when the server has the message.
  async function send(text, label) {
    if (busy) return false;
    busy = true;
    sends += 1;
    sendButton.disabled = true;
    clearNotice();
    const id = failed && failed.text === text ? failed.id : newId();
    const pending = bubble({from: "user", text: label || text});
    pending.classList.add("pending");
    show(pending);
    try {
      const r = await fetch(API, {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({text: text, message_id: id, after: lastId}),
      });
      if (!r.ok) throw new Error("HTTP " + r.status);
      const data = await r.json();
      pending.remove();
      failed = null;
      if (data.new_session) reset();
      render(data.messages);
      return true;
    } catch (e) {
      pending.remove();
      failed = {text: text, id: id};
      const notice = document.createElement("div");
      notice.className = "msg notice";
      notice.setAttribute("role", "alert");
      notice.append("Pesan belum terkirim. Periksa koneksi internet, lalu coba lagi.");
      // a typed message waits in the box (perhaps edited); a pressed button is sent again as it was
      notice.append(buttonRow([["Coba lagi", () => label ? send(text, label) : form.requestSubmit()]]));
      show(notice);
      return false;
    } finally {
      busy = false;
      sendButton.disabled = false;
    }
  }

  async function poll() {
    if (busy) return;
    const started = sends;
    try {
      const r = await fetch(`${API}?after=${lastId}`);
      if (!r.ok) return;
      const data = await r.json();
      if (busy || started !== sends) return;
      if (data.expired) reset();
      render(data.messages);
    } catch (e) { /* offline: the next tick tries again */ }
  }

  form.addEventListener("submit", async ev => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    // the text stays in the box until the server has it
    if (await send(text) && input.value.trim() === text) input.value = "";
  });
  welcome.querySelectorAll("button[data-payload]").forEach(btn => {
    btn.addEventListener("click", () => send(btn.dataset.payload, btn.textContent));
  });
  // an older version of this page kept a session id in storage scripts can read: drop it
  try { localStorage.removeItem("helpdesk-session"); sessionStorage.removeItem("helpdesk-last"); } catch (e) { /* blocked */ }
  poll();  // the history: nothing is sent on the person's behalf
  setInterval(poll, POLL_MS);
})();
