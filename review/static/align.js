// seedmt review, alignment editor: a ladder of sentence links, corrected from the keyboard.
// Every text is written with textContent.
"use strict";
// toast() and toggleShortcuts() come from common.js

const csrf = document.querySelector('meta[name="csrf-token"]').content;

async function call(method, path, body) {
  const options = {method, credentials: "same-origin", headers: {"X-CSRF-Token": csrf}};
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  let data = {};
  try { data = await response.json(); } catch (err) { data = {error: "unexpected answer from the server"}; }
  return {status: response.status, data};
}

// --- the sessions page ---------------------------------------------------------------------------------------

function sessionsPage() {
  const form = document.getElementById("new-alignment");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const source = form.elements.source.files[0];
    const target = form.elements.target.files[0];
    const links = form.elements.links.files[0];
    if (!source || !target) { toast("choose a document and its translation", true); return; }
    toast("aligning… (embedding the sentences takes a few seconds)");
    const body = {source_name: source.name, source_text: await source.text(),
                  target_name: target.name, target_text: await target.text(),
                  source_lang: form.elements.source_lang.value.trim(),
                  target_lang: form.elements.target_lang.value.trim()};
    if (links) body.links_text = await links.text();
    const {status, data} = await call("POST", "/api/align", body);
    if (status !== 200) { toast(data.error || ("error " + status), true); return; }
    window.location.assign(data.url);
  });
  for (const button of document.querySelectorAll("button.open-import")) {
    button.addEventListener("click", async () => {
      toast("aligning…");
      const {status, data} = await call("POST", "/api/align",
                                        {import_doc: button.dataset.doc, import_target: button.dataset.target});
      if (status !== 200) { toast(data.error || ("error " + status), true); return; }
      window.location.assign(data.url);
    });
  }
  document.addEventListener("keydown", (event) => {
    if (event.target.tagName === "INPUT") return;
    if (event.key === "?") toggleShortcuts();
    if (event.key === "Escape") toggleShortcuts(false);
  });
  document.getElementById("shortcuts").addEventListener("click", () => toggleShortcuts(false));
  document.body.dataset.ready = "1";
}

// --- the editor ----------------------------------------------------------------------------------------------

function editorPage() {
  const sessionId = document.getElementById("align-meta").dataset.session;
  const base = "/api/align/" + sessionId;
  let state = null;
  let current = 0;
  let side = "source";

  function sentences(cell, items, dir) {
    cell.replaceChildren();
    cell.dir = dir;
    for (const [index, text] of items) {
      const span = document.createElement("span");
      span.className = "sentence";
      span.dataset.index = index;
      const number = document.createElement("sup");
      number.textContent = index;
      span.append(number, document.createTextNode(" " + text + " "));
      cell.appendChild(span);
    }
  }

  function render() {
    const body = document.getElementById("links");
    body.replaceChildren();
    state.links.forEach((link, k) => {
      const row = document.createElement("tr");
      row.className = "link" + (link.needs_review ? " needs-review" : "") + (link.anchor ? " anchor" : "") +
          (link.source.length && link.target.length ? "" : " unlinked");
      row.dataset.k = k;
      row.dataset.origin = link.origin;
      row.dataset.source = link.source.map((x) => x[0]).join(",");
      row.dataset.target = link.target.map((x) => x[0]).join(",");
      row.tabIndex = -1;
      const number = document.createElement("td");
      number.className = "id";
      number.textContent = k;
      const source = document.createElement("td");
      source.className = "side source";
      sentences(source, link.source, state.source_dir);
      const score = document.createElement("td");
      score.className = "num score";
      score.textContent = link.score === null ? "–" : link.score.toFixed(2);
      const target = document.createElement("td");
      target.className = "side target";
      sentences(target, link.target, state.target_dir);
      const kind = document.createElement("td");
      kind.className = "kind";
      const badge = document.createElement("span");
      badge.className = "badge origin-" + link.origin;
      badge.textContent = link.origin;
      kind.appendChild(badge);
      if (link.needs_review) {
        const flag = document.createElement("span");
        flag.className = "badge flag";
        flag.textContent = "needs review";
        kind.appendChild(flag);
      }
      row.append(number, source, score, target, kind);
      row.addEventListener("click", () => select(k));
      body.appendChild(row);
    });
    const c = state.counts;
    document.getElementById("counts").textContent =
        `${c.links} links (${c.accepted} accepted, ${c.edited} edited, ${c.realigned} re-aligned, ${c.aligner} ` +
        `as aligned) · ${c.unlinked} unlinked sentences · ${c.needs_review} need review · version ${state.version}`;
    const gold = document.getElementById("gold-scores");
    gold.textContent = state.gold ?
        `against gold: strict P ${state.gold.precision_strict.toFixed(3)} R ${state.gold.recall_strict.toFixed(3)} ` +
        `F1 ${state.gold.f1_strict.toFixed(3)} · lax F1 ${state.gold.f1_lax.toFixed(3)}` : "";
    document.body.dataset.version = state.version;
    select(Math.min(current, state.links.length - 1), true);
  }

  function rows() { return Array.from(document.querySelectorAll("#links tr.link")); }

  function select(k, keepScroll) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, k));
    for (const row of all) row.classList.remove("current", "side-source", "side-target");
    const row = all[current];
    row.classList.add("current", "side-" + side);
    row.focus({preventScroll: true});
    if (!keepScroll || !isVisible(row)) row.scrollIntoView({block: "nearest"});
    document.body.dataset.current = current;
    document.body.dataset.side = side;
  }

  function isVisible(row) {
    const box = row.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
  }

  function nextNeedingReview(direction) {
    const n = state.links.length;
    for (let step = 1; step <= n; step++) {
      const k = (current + direction * step + n) % n;
      if (state.links[k].needs_review) { select(k); return; }
    }
    toast("no link needs review");
  }

  // Requests go out one at a time, in the order the keys were pressed: a key pressed while a request is in
  // flight waits its turn (never dropped), and each request is built when its turn comes, from the state and
  // cursor the previous one left. A refused request (409, an error) cancels the keys queued behind it, since
  // they were meant for a state that did not come about. `send` resolves to true when the request succeeded.
  let queue = Promise.resolve();
  let generation = 0;

  function send(path, body, done) {
    const mine = generation;
    const turn = queue.then(async () => {
      if (mine !== generation) return false;  // cancelled by a refusal ahead of it
      const built = typeof body === "function" ? body() : body;
      const {status, data} = await call("POST", base + path, Object.assign({version: state.version}, built || {}));
      if (status === 409) {
        generation += 1;
        toast(data.error + " — reloaded", true);
        await load();
        return false;
      }
      if (status !== 200) { generation += 1; toast(data.error || ("error " + status), true); return false; }
      if (data.links) { state = data; render(); }
      if (done) done(data);
      return true;
    });
    queue = turn.catch(() => false);
    return turn;
  }

  function afterQueued(move) {
    const mine = generation;
    queue = queue.then(() => { if (mine === generation) move(); });
  }

  function operate(operation, extra, message, then) {
    return send("/op", () => Object.assign({operation, k: current, side}, extra || {}), () => {
      toast(message || operation);
      if (then) then();
    });
  }

  async function load() {
    const {status, data} = await call("GET", base);
    if (status !== 200) { toast(data.error || ("error " + status), true); return; }
    state = data;
    render();
  }

  document.getElementById("realign").addEventListener("click", () => operate("realign", {}, "re-aligned"));
  document.getElementById("save").addEventListener("click", () => save());
  document.getElementById("gold").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (file) await send("/gold", {text: await file.text()}, () => toast("gold alignment loaded"));
  });

  function save() {
    return send("/save", {}, (data) => toast("saved " + data.saved));
  }

  document.addEventListener("keydown", async (event) => {
    const target = event.target;
    if (target.tagName === "INPUT" || target.tagName === "BUTTON" || target.tagName === "SELECT") {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (!state) return;
    if (event.key === "?") { toggleShortcuts(); return; }
    if (event.key === "Escape") { toggleShortcuts(false); return; }
    if (event.ctrlKey || event.metaKey) {
      if (event.key === "z") { event.preventDefault(); await send("/undo", {}, () => toast("undone")); }
      else if (event.key === "y") { event.preventDefault(); await send("/redo", {}, () => toast("redone")); }
      else if (event.key === "s") { event.preventDefault(); await save(); }
      return;
    }
    switch (event.key) {
      // moves wait behind queued operations too, so that "a j a" acts on the rows it was typed for
      case "j": case "ArrowDown": event.preventDefault(); afterQueued(() => select(current + 1)); break;
      case "k": case "ArrowUp": event.preventDefault(); afterQueued(() => select(current - 1)); break;
      case "ArrowLeft": event.preventDefault(); afterQueued(() => { side = "source"; select(current, true); }); break;
      case "ArrowRight": event.preventDefault(); afterQueued(() => { side = "target"; select(current, true); }); break;
      case "n": nextNeedingReview(1); break;
      case "N": nextNeedingReview(-1); break;
      case "a": operate("accept", {}, "accepted", () => select(current + 1)); break;
      case "m": await operate("merge", {side: "both"}, "merged"); break;
      case "M": await operate("merge", {}, "merged the " + side + " side"); break;
      case "s": await operate("split", {}, "split"); break;
      case "[": await operate("move", {direction: -1}, "moved to the previous link"); break;
      case "]": await operate("move", {direction: 1}, "moved to the next link"); break;
      case "d": await operate("unlink", {side: null}, "unlinked"); break;
      case "l": await operate("link", {}, "linked"); break;
      case "r": await operate("realign", {}, "re-aligned"); break;
      case "u": await send("/undo", {}, () => toast("undone")); break;
      case "U": await send("/redo", {}, () => toast("redone")); break;
      default: break;
    }
  });
  document.getElementById("shortcuts").addEventListener("click", () => toggleShortcuts(false));

  load().then(() => {
    // links that need review first: the cursor starts on the first of them
    const first = state.links.findIndex((link) => link.needs_review);
    select(first >= 0 ? first : 0);
    document.body.dataset.ready = "1";
  });
}

if (document.body.dataset.page === "align") editorPage();
else if (document.body.dataset.page === "alignments") sessionsPage();
