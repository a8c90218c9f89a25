// Web chat: send with POST, receive with polling (officer replies arrive later).
(function () {
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  let session = localStorage.getItem("helpdesk-session");
  if (!session) {
    session = Array.from(crypto.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem("helpdesk-session", session);
  }
  let lastId = Number(sessionStorage.getItem("helpdesk-last") || 0);
  const shown = new Set();

  function bubble(text, who, buttons) {
    const div = document.createElement("div");
    div.className = "msg " + who;
    div.textContent = text;  // never innerHTML: messages are user input
    if (buttons && buttons.length) {
      const row = document.createElement("div");
      row.className = "buttons";
      buttons.forEach(b => {
        const btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.label;
        btn.addEventListener("click", () => send(b.payload, b.label));
        row.appendChild(btn);
      });
      div.appendChild(row);
    }
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
  }

  function showReplies(items) {
    items.forEach(m => {
      if (shown.has(m.id)) return;
      shown.add(m.id);
      bubble(m.text, "bot", m.buttons);
      if (m.id > lastId) { lastId = m.id; sessionStorage.setItem("helpdesk-last", String(lastId)); }
    });
  }

  async function send(text, label) {
    bubble(label || text, "user");
    const id = Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
    try {
      const r = await fetch("/try/api/messages", {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({session: session, text: text, message_id: id}),
      });
      if (!r.ok) throw new Error(r.status);
      showReplies((await r.json()).replies);
    } catch (e) {
      bubble("Pesan belum terkirim. Periksa koneksi lalu coba lagi.", "bot");
    }
  }

  async function poll() {
    try {
      const r = await fetch(`/try/api/messages?session=${session}&after=${lastId}`);
      if (r.ok) showReplies((await r.json()).messages);
    } catch (e) { /* offline: try again next tick */ }
  }

  form.addEventListener("submit", ev => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
  if (lastId === 0) send("halo", "Halo"); else poll();
  setInterval(poll, 2000);
})();
