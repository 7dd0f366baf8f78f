// seedmt review: keyboard-first review of a translation dataset. Every text is written with textContent.
"use strict";
// toast() and toggleShortcuts() come from common.js

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const rows = Array.from(document.querySelectorAll("tr.item"));
let current = -1;
let openedAt = performance.now();  // when the current row got the reviewer's attention

function select(index) {
  if (!rows.length) return;
  index = Math.max(0, Math.min(rows.length - 1, index));
  if (current >= 0) rows[current].classList.remove("current");
  current = index;
  const row = rows[current];
  row.classList.add("current");
  row.focus({preventScroll: true});
  row.scrollIntoView({block: "nearest"});
  openedAt = performance.now();
  document.body.dataset.current = row.dataset.segment + " " + row.dataset.target;
  showMemory(row);
}

// --- translation memory, glossary and concordance (seedmt.cat.memory) ---------------------------------------------

const memoryPanel = document.getElementById("memory");
let bestMatch = null;
let memoryRequest = 0;

function textWithDifferences(text, differences) {
  // the memory's source, with what differs from this segment marked
  const out = document.createDocumentFragment();
  let at = 0;
  for (const [op, start, end] of differences) {
    if (start > at) out.append(document.createTextNode(text.slice(at, start)));
    const mark = document.createElement(op === "insert" ? "ins" : "del");
    mark.textContent = op === "insert" ? "+" : text.slice(start, end);
    out.append(mark);
    at = Math.max(at, end);
  }
  out.append(document.createTextNode(text.slice(at)));
  return out;
}

async function showMemory(row) {
  if (!memoryPanel || !row) return;
  const asked = ++memoryRequest;
  const list = memoryPanel.querySelector(".matches");
  const params = new URLSearchParams({segment_id: row.dataset.segment, target: row.dataset.target});
  let data = {matches: []};
  try {
    const response = await fetch("/api/tm?" + params, {credentials: "same-origin"});
    data = await response.json();
  } catch (err) { data = {matches: []}; }
  if (asked !== memoryRequest) return;  // the reviewer has moved on
  list.replaceChildren();
  memoryPanel.dataset.segment = row.dataset.segment + " " + row.dataset.target;  // whose matches these are
  bestMatch = data.matches && data.matches.length ? data.matches[0] : null;
  for (const match of data.matches || []) {
    const item = document.createElement("li");
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = match.score.toFixed(0) + "%";
    const source = document.createElement("div");
    source.className = "memory-source";
    source.append(textWithDifferences(match.source, match.differences));
    const target = document.createElement("div");
    target.className = "memory-target";
    target.textContent = match.target;
    const origin = document.createElement("span");
    origin.className = "meta";
    origin.textContent = match.origin;
    item.append(score, source, target, origin);
    list.append(item);
  }
  if (!list.children.length) {
    const none = document.createElement("li");
    none.className = "meta";
    none.textContent = "no match of 50% or more";
    list.append(none);
  }
}

function insertBestMatch() {
  const row = rows[current];
  if (!row || !bestMatch) { toast("no translation-memory match for this segment", true); return; }
  startEdit();
  const editor = row.querySelector(".editor");
  editor.value = bestMatch.target;
  setDirty(row, true);
  toast("inserted the " + bestMatch.score.toFixed(0) + "% match: Ctrl+Enter saves it");
}

if (memoryPanel) {
  const form = memoryPanel.querySelector("form.concordance");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const row = rows[current];
    const side = form.elements.side.value;
    const lang = row ? (side === "source" ? row.querySelector(".source").lang : row.dataset.target) : "";
    const params = new URLSearchParams({q: form.elements.q.value, lang: lang, side: side});
    const response = await fetch("/api/concordance?" + params, {credentials: "same-origin"});
    const data = await response.json();
    const hits = memoryPanel.querySelector(".hits");
    hits.replaceChildren();
    if (response.status !== 200) { toast(data.error || "search failed", true); return; }
    for (const hit of data.hits) {
      const item = document.createElement("li");
      const source = document.createElement("div");
      source.textContent = hit.source;
      const target = document.createElement("div");
      target.className = "memory-target";
      target.textContent = hit.target;
      item.append(source, target);
      hits.append(item);
    }
    if (!data.hits.length) {
      const none = document.createElement("li");
      none.className = "meta";
      none.textContent = "not found";
      hits.append(none);
    }
  });
}

// --- QA findings: resolve, or ignore with a reason ------------------------------------------------------------

document.querySelectorAll("li.finding").forEach((finding) => {
  const row = finding.closest("tr.item");
  async function decide(decision) {
    let reason = null;
    if (decision === "ignore") {
      reason = window.prompt("Why can this finding be ignored?");
      if (!reason || !reason.trim()) return;
    }
    const {status, data} = await post("/api/qa", {segment_id: row.dataset.segment, target: row.dataset.target,
                                                  check: finding.dataset.check, decision: decision, reason: reason});
    if (status !== 200) { toast(data.error || "not saved", true); return; }
    finding.remove();
    toast(decision === "ignore" ? "finding ignored" : "finding resolved");
  }
  finding.querySelector(".qa-resolve").addEventListener("click", () => decide("resolve"));
  finding.querySelector(".qa-ignore").addEventListener("click", () => decide("ignore"));
});

function spentSeconds() {
  return Math.round((performance.now() - openedAt) / 100) / 10;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
    body: JSON.stringify(body || {}),
  });
  let data = {};
  try { data = await response.json(); } catch (err) { data = {error: "unexpected answer from the server"}; }
  return {status: response.status, data};
}

function rowFor(segment, target) {
  return rows.find((r) => r.dataset.segment === segment && r.dataset.target === target);
}

function showReview(row, review, options) {
  if (!row) return;
  row.dataset.version = review.version;
  row.dataset.status = review.status;
  row.className = row.className.replace(/status-\w+/, "status-" + review.status);
  row.querySelector(".state").textContent = review.status;
  row.querySelector(".why").textContent = review.status === "rejected" ? (review.reason || "") : "";
  const box = row.querySelector(".post-edit");
  box.replaceChildren();
  const hterBadge = row.querySelector(".hter");
  if (review.status === "edited" && review.diff) {
    for (const [op, text] of review.diff) {
      const span = document.createElement("span");
      span.className = op;
      span.textContent = text;
      box.appendChild(span);
    }
    box.hidden = false;
    hterBadge.textContent = "HTER " + review.hter;
    hterBadge.hidden = false;
  } else {
    box.hidden = true;
    hterBadge.hidden = true;
  }
  if (review.status === "edited" && !(options && options.keepEditor)) row.querySelector(".editor").value = review.post_edit;
}

// The reviewer's latest entry in the review log this page knows of: undo and redo are refused (409) when another
// tab has acted since, instead of undoing what that tab did.
let logVersion = Number(document.querySelector('meta[name="log-version"]').content);

function showConflict(row, conflict) {
  // Another tab saved this segment first. The server kept our text in the review log; here it stays in the
  // editor, and the reviewer chooses: keep mine (save it over theirs, deliberately) or take theirs.
  const mine = conflict.attempted;
  const theirs = conflict.current;
  let box = row.querySelector(".conflict");
  if (!box) {
    box = document.createElement("div");
    box.className = "conflict";
    row.querySelector(".translation").appendChild(box);
  }
  box.replaceChildren();
  const title = document.createElement("strong");
  title.textContent = "Conflict: this segment was saved elsewhere first. Nothing was overwritten; your text is " +
      "kept in the review log.";
  const saved = document.createElement("div");
  saved.className = "theirs";
  saved.textContent = "saved (" + (theirs.reviewer || "?") + ", " + theirs.status + "): " +
      (theirs.status === "edited" ? theirs.post_edit : theirs.status === "rejected" ? theirs.reason : "");
  const attempted = document.createElement("div");
  attempted.className = "mine";
  attempted.textContent = "yours (" + mine.action + "): " + (mine.text || mine.reason || "");
  const keep = document.createElement("button");
  keep.type = "button";
  keep.className = "keep-mine";
  keep.textContent = "Keep mine (save over theirs)";
  const take = document.createElement("button");
  take.type = "button";
  take.className = "take-theirs";
  take.textContent = "Take theirs";
  box.append(title, saved, attempted, keep, take);
  // The row shows what is saved; the editor keeps the reviewer's own text until they choose.
  const editor = row.querySelector(".editor");
  const ownText = mine.action === "edit" ? mine.text : editor.value;
  showReview(row, theirs, {keepEditor: true});
  row.dataset.version = mine.version;  // still stale: saving again without choosing is refused again
  editor.value = ownText;
  keep.addEventListener("click", async () => {
    row.dataset.version = theirs.version;
    const extra = mine.action === "edit" ? {text: ownText} : mine.action === "reject" ? {reason: mine.reason} : {};
    if (await act(mine.action, extra, row)) stopEdit(row);
  });
  take.addEventListener("click", () => {
    row.dataset.version = theirs.version;
    editor.value = theirs.status === "edited" ? theirs.post_edit : row.querySelector(".mt").textContent;
    setDirty(row, false);
    box.remove();
    stopEdit(row);
    toast("kept the saved version");
  });
}

// Post-edits typed but not saved yet. Such a row keeps its text (Escape only hides the editor), is marked
// "unsaved", and leaving or reloading the page asks first.
function isDirty(row) { return row.dataset.dirty === "1"; }
function setDirty(row, dirty) {
  row.dataset.dirty = dirty ? "1" : "";
  row.classList.toggle("unsaved", dirty);
}
function unsavedRows() { return rows.filter(isDirty); }
window.addEventListener("beforeunload", (event) => {
  if (!unsavedRows().length) return;
  event.preventDefault();
  event.returnValue = "";  // the browser asks: leave the page and lose the unsaved post-edits?
});
rows.forEach((row) => row.querySelector(".editor").addEventListener("input", () => setDirty(row, true)));

// A segment is one line: line breaks and tabs typed into the editor become spaces.
function oneLine(text) { return text.replace(/[\r\n\t\u2028\u2029]+/g, " "); }

async function act(action, extra, targetRow) {
  const row = targetRow || rows[current];
  if (!row) return false;
  if (extra && typeof extra.text === "string") extra = Object.assign({}, extra, {text: oneLine(extra.text)});
  const version = parseInt(row.dataset.version, 10);
  const body = Object.assign({segment_id: row.dataset.segment, target: row.dataset.target, action: action,
                              version: Number.isInteger(version) ? version : 0, seconds: spentSeconds()},
                             extra || {});
  const {status, data} = await post("/api/act", body);
  if (data.log_version !== undefined) logVersion = data.log_version;
  if (status === 409) {
    showConflict(row, data.conflict);
    toast(data.error, true);
    return false;
  }
  if (status !== 200) {
    toast(data.error || ("error " + status), true);
    return false;
  }
  const old = row.querySelector(".conflict");
  if (old) old.remove();
  if (action === "edit" || action === "accept" || action === "reset") setDirty(row, false);
  showReview(row, data);
  toast(action === "edit" ? "saved" : action === "accept" ? "accepted" : action === "reject" ? "rejected" : "reset");
  return true;
}

async function undoRedo(which) {
  const {status, data} = await post("/api/" + which, {version: logVersion});
  if (data.log_version !== undefined) logVersion = data.log_version;
  if (status === 409 && data.current) {
    // someone acted on that segment since: nothing was undone, and the row shows what it holds now
    const row = rowFor(data.current.segment_id, data.current.target);
    if (row && !isDirty(row)) showReview(row, data.current);
    if (row) select(rows.indexOf(row));
    toast(data.error, true);
    return;
  }
  if (status !== 200) { toast(data.error || ("error " + status), true); return; }
  if (!data.review) { toast("nothing to " + which); return; }
  const row = rowFor(data.review.segment_id, data.review.target);
  showReview(row, data.review);
  if (row) select(rows.indexOf(row));
  toast(which === "undo" ? "undone" : "redone");
}

// Accepting the machine translation of a row that holds a post-edit replaces the post-edit: the first `a`
// says so, a second `a` on the same row within a few seconds does it (and `u` still brings the post-edit back).
let acceptArmed = null;
async function acceptCurrent() {
  const row = rows[current];
  if (!row) return;
  const replaces = row.dataset.status === "edited" || isDirty(row);
  if (replaces && acceptArmed !== row) {
    acceptArmed = row;
    setTimeout(() => { if (acceptArmed === row) acceptArmed = null; }, 5000);
    toast("this segment holds a post-edit: press a again to accept the machine translation instead " +
          "(u undoes it)", true);
    return;
  }
  acceptArmed = null;
  if (await act("accept")) select(current + 1);
}

function startEdit() {
  const row = rows[current];
  if (!row) return;
  const editor = row.querySelector(".editor");
  editor.hidden = false;
  row.classList.add("editing");
  editor.focus();
  editor.setSelectionRange(editor.value.length, editor.value.length);
}

function stopEdit(row) {
  row.querySelector(".editor").hidden = true;
  row.querySelector(".reason").hidden = true;
  row.classList.remove("editing");
  row.focus({preventScroll: true});
}

function startReject() {
  const row = rows[current];
  if (!row) return;
  const reason = row.querySelector(".reason");
  reason.hidden = false;
  row.classList.add("editing");
  reason.focus();
}

function goToPage(delta) {
  const nav = document.querySelector("nav.pages");
  if (!nav) return;
  const page = Number(nav.dataset.page) + delta;
  if (page < 0 || page >= Number(nav.dataset.pages)) return;
  const url = new URL(window.location.href);
  url.searchParams.set("page", page);
  url.searchParams.delete("token");
  window.location.assign(url.pathname + url.search);
}

document.addEventListener("keydown", async (event) => {
  const target = event.target;
  const row = rows[current];
  if (target.classList && target.classList.contains("editor")) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (await act("edit", {text: target.value})) { stopEdit(row); select(current + 1); }
    } else if (event.key === "Escape") {
      event.preventDefault();
      stopEdit(row);  // the text stays in the editor (marked unsaved): Enter opens it again
      if (isDirty(row)) toast("not saved yet: Enter opens your text again, Ctrl+Enter saves it");
    }
    return;
  }
  if (target.classList && target.classList.contains("reason")) {
    if (event.key === "Enter") {
      event.preventDefault();
      if (await act("reject", {reason: target.value})) { stopEdit(row); select(current + 1); }
    } else if (event.key === "Escape") {
      event.preventDefault();
      stopEdit(row);
    }
    return;
  }
  if (target.tagName === "SELECT" || target.tagName === "INPUT" || target.tagName === "BUTTON") {
    if (event.key === "Escape") { target.blur(); if (row) row.focus(); }
    return;
  }
  if (event.key === "?") { toggleShortcuts(); return; }
  if (event.key === "Escape") { toggleShortcuts(false); return; }
  if (event.ctrlKey || event.metaKey) {
    if (event.key === "z") { event.preventDefault(); await undoRedo("undo"); }
    else if (event.key === "y") { event.preventDefault(); await undoRedo("redo"); }
    return;
  }
  switch (event.key) {
    case "j": case "ArrowDown": event.preventDefault(); select(current + 1); break;
    case "k": case "ArrowUp": event.preventDefault(); select(current - 1); break;
    case "Enter": event.preventDefault(); startEdit(); break;
    case "a": await acceptCurrent(); break;
    case "r": event.preventDefault(); startReject(); break;
    case "x": await act("reset"); break;
    case "u": await undoRedo("undo"); break;
    case "U": await undoRedo("redo"); break;
    case "/": {
      event.preventDefault();
      const first = document.querySelector("#filters select");
      if (first) first.focus();
      break;
    }
    case "i": event.preventDefault(); insertBestMatch(); break;
    case "c": {
      event.preventDefault();
      const box = memoryPanel && memoryPanel.querySelector("input[name=q]");
      if (box) box.focus();
      break;
    }
    case "n": goToPage(1); break;
    case "p": goToPage(-1); break;
    default: break;
  }
});

rows.forEach((row, index) => row.addEventListener("click", (event) => {
  if (index !== current && !event.target.closest("textarea, input, button")) select(index);
}));
// The toolbar: every action of the keys, for the mouse and for Tab.
const toolbarActions = {
  accept: () => acceptCurrent(),
  edit: () => startEdit(),
  reject: () => startReject(),
  reset: () => act("reset"),
  undo: () => undoRedo("undo"),
  redo: () => undoRedo("redo"),
};
for (const button of document.querySelectorAll("#toolbar button[data-action]")) {
  button.addEventListener("click", () => {
    if (current < 0 && rows.length) select(0);
    const action = button.dataset.action;
    Promise.resolve(toolbarActions[action]()).then(() => {
      if (action !== "edit" && action !== "reject" && rows[current]) rows[current].focus({preventScroll: true});
    });
  });
}
document.getElementById("shortcuts").addEventListener("click", () => toggleShortcuts(false));
if (rows.length) select(0);
document.body.dataset.ready = "1";
