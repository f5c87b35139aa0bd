// The scoreboard: every team's tally and every event's score, kept current
// over server-sent events from /events; a value that changes flashes.
// EventSource reconnects by itself and sends Last-Event-ID; if the facade
// refused the stream outright (EventSource gives up then), a new one is
// opened with ?lastEventId= after a pause.
"use strict";
const RETRY_MS = 2000;
const MAX_RECEIVED = 20;
const loads = Number(sessionStorage.getItem("loads") || 0) + 1;
sessionStorage.setItem("loads", String(loads));
document.body.dataset.loads = String(loads);
const status = document.getElementById("stream");
const changedAt = new Map(); // element -> seconds since the epoch
let lastId = "";
let received = 0;

function setLive(live) {
  status.className = live ? "live" : "down";
  status.textContent = live ? "live" : "reconnecting…";
  document.body.dataset.stream = live ? "live" : "reconnecting";
}

function ago(secs) {
  const d = Math.max(0, Date.now() / 1000 - secs);
  if (d < 60) return Math.floor(d) + " s ago";
  if (d < 3600) return Math.floor(d / 60) + " min ago";
  if (d < 86400) return Math.floor(d / 3600) + " h ago";
  return new Date(secs * 1000).toLocaleDateString();
}

function stamp(el, secs) {
  if (!secs) { el.textContent = "never"; changedAt.delete(el); return; }
  changedAt.set(el, secs);
  el.title = new Date(secs * 1000).toLocaleString();
  el.textContent = ago(secs);
}

function flash(el) {
  el.classList.remove("flash");
  void el.offsetWidth;
  el.classList.add("flash");
}

function row(tbody, key, cells) {
  let tr = tbody.querySelector(`tr[data-key="${CSS.escape(key)}"]`);
  if (tr) {
    flash(tr);
  } else {
    tr = document.createElement("tr");
    tr.dataset.key = key;
    for (let i = 0; i < cells; i++) tr.appendChild(document.createElement("td"));
    const rows = [...tbody.children];
    const after = rows.find((r) => r.dataset.key.localeCompare(key) > 0);
    tbody.insertBefore(tr, after || null);
  }
  return tr;
}

function onTally(t) {
  const tr = row(document.querySelector("#medals tbody"), t.team, 5);
  tr.dataset.team = t.team;
  const c = tr.children;
  c[0].textContent = t.team;
  ["gold", "silver", "bronze"].forEach((m, i) => {
    c[i + 1].className = "num";
    c[i + 1].dataset.medal = m;
    c[i + 1].textContent = t.medals[m];
  });
  c[4].className = "changed";
  stamp(c[4], Number(t.changed_at));
}

function onScore(s) {
  const box = document.getElementById("events");
  let card = box.querySelector(`[data-event="${CSS.escape(s.event)}"]`);
  if (card) {
    flash(card);
  } else {
    card = document.createElement("div");
    card.className = "card";
    card.dataset.event = s.event;
    card.innerHTML = "<h3></h3><ul></ul><div class=changed></div>";
    card.querySelector("h3").textContent = s.event;
    const after = [...box.children].find((c) => c.dataset.event.localeCompare(s.event) > 0);
    box.insertBefore(card, after || null);
  }
  const ul = card.querySelector("ul");
  ul.replaceChildren(...Object.entries(s.scores).map(([team, score]) => {
    const li = document.createElement("li");
    li.dataset.team = team;
    li.innerHTML = "<span></span><span class=num></span>";
    li.children[0].textContent = team;
    li.children[1].textContent = score;
    return li;
  }));
  const when = card.querySelector(".changed");
  stamp(when, Number(s.updated_at || 0));
  if (s.updated_by) when.title += " · by " + s.updated_by;
}

function note(kind, data, id) {
  received += 1;
  document.body.dataset.received = String(received);
  const li = document.createElement("li");
  li.dataset.id = id;
  li.dataset.kind = kind;
  li.textContent = kind === "tally"
    ? `${data.team}: ${data.medals.gold} gold, ${data.medals.silver} silver, ${data.medals.bronze} bronze`
    : `${data.event}: ` + Object.entries(data.scores).map(([t, n]) => `${t} ${n}`).join(", ");
  const list = document.getElementById("received");
  list.prepend(li);
  while (list.children.length > MAX_RECEIVED) list.lastChild.remove();
}

function connect() {
  const url = lastId ? "/events?lastEventId=" + encodeURIComponent(lastId) : "/events";
  const es = new EventSource(url);
  es.onopen = () => setLive(true);
  es.onerror = () => {
    setLive(false);
    if (es.readyState === EventSource.CLOSED) setTimeout(connect, RETRY_MS);
  };
  for (const [kind, show] of [["score", onScore], ["tally", onTally]]) {
    es.addEventListener(kind, (e) => {
      lastId = e.lastEventId;
      const data = JSON.parse(e.data);
      show(data);
      note(kind, data, e.lastEventId);
    });
  }
}

setInterval(() => changedAt.forEach((secs, el) => { el.textContent = ago(secs); }), 1000);
setLive(false);
status.textContent = "connecting…";
connect();
