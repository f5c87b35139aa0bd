// The herd at a glance: each server the facade knows, whether it answers,
// and each of its links up or down, from /health every few seconds.
"use strict";
const EVERY_MS = 2000;
const status = document.getElementById("stream");

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function server(s) {
  const card = el("div", "card server");
  card.dataset.addr = s.addr;
  const st = s.status || {};
  const h = el("h3");
  h.append(el("span", "", st.server ? `${st.server} (${s.addr})` : s.addr));
  const bad = !s.reachable || st.degraded;
  h.append(el("span", "badge" + (bad ? " bad" : ""), !s.reachable ? "unreachable" : st.degraded ? "degraded" : "ok"));
  if (st.leader !== undefined && st.leader === st.server) h.append(el("span", "badge", "leader"));
  card.append(h);
  if (!s.reachable) { card.append(el("p", "changed", s.error || "")); return card; }
  const ul = el("ul");
  for (const l of st.links || []) {
    const li = el("li");
    li.dataset.peer = l.peer;
    li.append(el("span", "", "→ " + l.peer));
    li.append(el("span", l.up ? "link-up" : "link-down", (l.up ? "up" : "down") + ` ${Math.round(l.for_secs)} s`));
    if (!l.up && l.last_error) li.title = l.last_error;
    ul.append(li);
  }
  card.append(ul);
  const extra = [`up ${Math.round(st.uptime_secs || 0)} s`, `${st.clients ?? 0} clients`];
  if (st.leader) extra.push("leader " + st.leader);
  card.append(el("p", "changed", extra.join(" · ")));
  return card;
}

async function refresh() {
  try {
    const r = await fetch("/health", { cache: "no-store" });
    const h = await r.json();
    document.getElementById("summary").textContent =
      (h.degraded ? "Degraded: " + h.reasons.join("; ") : "Every server answers and none is degraded.") +
      ` The facade sends requests to ${h.attached}.`;
    document.getElementById("servers").replaceChildren(...h.servers.map(server));
    status.className = "live";
    status.textContent = "live";
  } catch (e) {
    status.className = "down";
    status.textContent = "reconnecting…";
  }
}

refresh();
setInterval(refresh, EVERY_MS);
