// seedmt human evaluation: mark error spans (and, for ESA, give scores) in blind translations, keyboard first.
// Every text is written with textContent; the server keeps which system made which translation.
//
// Offsets: the server counts Unicode code points (as Python does); the page works in the browser's UTF-16
// units and converts at the boundary (`toCodePoints`, `toUnits`), so a span after an emoji or a character
// outside the Basic Multilingual Plane lands on the same characters on both sides. A span (n, n) where n is the
// translation's length is the omission slot: "[MISSING]", shown after each translation.
"use strict";

const protocol = document.body.dataset.protocol;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const state = { data: null, marks: [], tokens: [], current: 0, cursor: 0, anchor: null, started: 0, pending: null,
  dirty: false, leaveArmed: null, justSelected: false };
const MISSING = "[MISSING]";

function toCodePoints(text, units) { return Array.from(text.slice(0, units)).length; }
function toUnits(text, codePoints) { return Array.from(text).slice(0, codePoints).join("").length; }

function tokenize(text, spaced) {
  const tokens = [];
  if (spaced) {
    const pattern = /\S+/gu;
    let match;
    while ((match = pattern.exec(text)) !== null) tokens.push({ start: match.index, end: match.index + match[0].length });
  } else {
    // a character as a reader sees it: a base with its combining marks, an emoji sequence
    const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text);
    for (const piece of graphemes) {
      if (/\S/u.test(piece.segment)) tokens.push({ start: piece.index, end: piece.index + piece.segment.length });
    }
  }
  tokens.push({ start: text.length, end: text.length, missing: true });  // the omission slot
  return tokens;
}

// --- drafts: unsaved marks are kept in this tab until saved, so that nothing typed is lost -------------------

function draftKey(position) { return `seedmt-annotation-draft:${document.body.dataset.annotator}:${position}`; }

function keepDraft() {
  if (!state.data) return;
  try {
    sessionStorage.setItem(draftKey(state.data.position), JSON.stringify({ version: state.data.version, marks: state.marks }));
  } catch (err) { /* storage full or off: the warnings before leaving still protect the marks */ }
}

function dropDraft(position) {
  try { sessionStorage.removeItem(draftKey(position)); } catch (err) { /* nothing kept */ }
}

function changed() {
  state.dirty = true;
  state.leaveArmed = null;
  keepDraft();
  paint();
}

window.addEventListener("beforeunload", (event) => {
  if (!state.dirty) return;
  keepDraft();
  event.preventDefault();
  event.returnValue = "";
});

// --- loading and drawing an item ----------------------------------------------------------------------------

function load(position) {
  const query = position === undefined ? "" : `?position=${position}`;
  return fetch(`/api/campaign/item${query}`, { credentials: "same-origin" })
    .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
    .then(({ ok, body }) => { if (!ok) throw new Error(body.error); render(body); })
    .catch((err) => toast(`could not load the item: ${err.message}`, true));
}

function fromServer(data) {
  const texts = data.item.translations;
  if (!data.judgement) return texts.map(() => ({ score: null, spans: [] }));
  return data.judgement.map((t, position) => ({ score: t.score, spans: t.spans.map((s) => ({
    start: toUnits(texts[position], s.start), end: toUnits(texts[position], s.end), severity: s.severity,
    category: s.category })) }));
}

function render(data) {
  state.data = data;
  state.marks = fromServer(data);
  state.dirty = false;
  state.leaveArmed = null;
  let restored = false;
  try {
    const draft = JSON.parse(sessionStorage.getItem(draftKey(data.position)) || "null");
    if (draft && draft.version === data.version && draft.marks.length === state.marks.length) {
      state.marks = draft.marks;
      state.dirty = restored = true;
    } else if (draft) {
      dropDraft(data.position);  // the item was judged since (another tab): the saved judgement wins
    }
  } catch (err) { /* no usable draft */ }
  const item = data.item;
  state.tokens = item.translations.map((text) => tokenize(text, data.spaced));
  state.current = 0; state.cursor = 0; state.anchor = null; state.started = performance.now();
  document.getElementById("progress").textContent =
    `item ${data.position + 1} of ${data.total} · ${data.judged} judged${data.judgement ? " · this one judged (revising)" : ""}`;
  document.getElementById("finished").hidden = !data.finished;
  document.getElementById("previous-item").disabled = data.position === 0;
  document.getElementById("next-item").disabled = data.position + 1 >= data.total;
  for (const [id, lines] of [["before", item.before], ["after", item.after]]) {
    const box = document.getElementById(id);
    box.textContent = lines.join(" ");
    box.dir = item.source_dir;
  }
  const source = document.getElementById("source");
  source.textContent = item.source;
  source.dir = item.source_dir;
  const list = document.getElementById("translations");
  list.replaceChildren();
  item.translations.forEach((text, position) => list.appendChild(translationBox(text, position)));
  paint();
  if (restored) toast("your unsaved marks on this item are back (not saved yet: Ctrl+Enter saves)");
}

function translationBox(text, position) {
  const box = document.createElement("div");
  box.className = "translation";
  box.dataset.position = position;
  const label = document.createElement("span");
  label.className = "label";
  label.textContent = `Translation ${position + 1}`;
  box.appendChild(label);
  if (protocol === "esa") box.appendChild(scoreControl(position));
  const body = document.createElement("div");
  body.className = "text";
  body.dir = state.data.item.target_dir;
  let at = 0;
  state.tokens[position].forEach((token, index) => {
    if (token.start > at) body.appendChild(document.createTextNode(text.slice(at, token.start)));
    const span = document.createElement("span");
    span.className = token.missing ? "token missing" : "token";
    span.dataset.index = index;
    span.textContent = token.missing ? ` ${MISSING}` : text.slice(token.start, token.end);
    if (token.missing) span.title = "something the translation leaves out: select this and mark it";
    body.appendChild(span);
    at = Math.max(at, token.end);
  });
  body.addEventListener("mouseup", () => fromMouse(position));
  box.appendChild(body);
  const spans = document.createElement("div");
  spans.className = "spans";
  box.appendChild(spans);
  // A click that only selects text was handled on mouseup; a plain click on a word puts the cursor there.
  box.addEventListener("click", (event) => {
    if (event.target.closest("input, button")) return;
    if (state.justSelected) { state.justSelected = false; return; }
    const chosen = window.getSelection();
    if (chosen && !chosen.isCollapsed) return;
    const token = event.target.closest(".token");
    if (position !== state.current) select(position);
    if (token) { state.cursor = Number(token.dataset.index); state.anchor = null; paint(); }
  });
  return box;
}

function scoreControl(position) {
  const wrap = document.createElement("span");
  wrap.className = "score-control";
  const number = document.createElement("input");
  number.className = "score";
  number.type = "number"; number.min = "0"; number.max = "100"; number.step = "1"; number.placeholder = "score";
  number.setAttribute("aria-label", `score of translation ${position + 1} (0 to 100)`);
  const range = document.createElement("input");
  range.className = "score-range";
  range.type = "range"; range.min = "0"; range.max = "100"; range.step = "1";
  range.setAttribute("aria-label", `score slider of translation ${position + 1}`);
  const score = state.marks[position].score;
  if (score !== null) { number.value = score; range.value = score; }
  const take = (raw, from) => {
    if (raw === "") { state.marks[position].score = null; changed(); return; }
    let value = Math.round(Number(raw));
    if (!Number.isFinite(value)) return;
    const bounded = Math.max(0, Math.min(100, value));
    if (bounded !== value) toast("a score goes from 0 to 100", true);
    state.marks[position].score = bounded;
    if (from !== number || bounded !== value) number.value = bounded;
    if (from !== range) range.value = bounded;
    changed();
  };
  number.addEventListener("input", () => take(number.value, number));
  range.addEventListener("input", () => take(range.value, range));
  wrap.append(number, range);
  return wrap;
}

function selection() {
  const a = state.anchor === null ? state.cursor : state.anchor;
  const tokens = state.tokens[state.current];
  const first = Math.min(a, state.cursor), last = Math.max(a, state.cursor);
  if (tokens[first].missing) return { start: tokens[first].start, end: tokens[first].end };
  // a selection that runs onto the omission slot stops at the last word
  const end = tokens[last].missing ? tokens[last - 1].end : tokens[last].end;
  return { start: tokens[first].start, end };
}

function overlaps(span, start, end) {
  if (span.start === span.end || start === end) return span.start === start && span.end === end;
  return span.start < end && start < span.end;
}

function paint() {
  const chosen = selection();
  document.querySelectorAll(".translation").forEach((box) => {
    const position = Number(box.dataset.position);
    box.classList.toggle("current", position === state.current);
    box.classList.toggle("unsaved-marks", state.dirty);
    const spans = state.marks[position].spans;
    box.querySelectorAll(".token").forEach((element) => {
      const token = state.tokens[position][Number(element.dataset.index)];
      const covering = spans.filter((s) => overlaps(s, token.start, token.end));
      element.classList.toggle("major", covering.some((s) => s.severity === "major"));
      element.classList.toggle("minor", covering.some((s) => s.severity === "minor"));
      const here = position === state.current;
      element.classList.toggle("cursor", here && Number(element.dataset.index) === state.cursor);
      element.classList.toggle("selected", here && token.start >= chosen.start && token.end <= chosen.end &&
        (token.start !== token.end || chosen.start === chosen.end));
    });
    const score = box.querySelector(".score");
    if (score && document.activeElement !== score) {
      const value = state.marks[position].score;
      score.value = value === null ? "" : value;
      box.querySelector(".score-range").value = value === null ? 50 : value;
    }
    drawMarks(box, position);
  });
}

function drawMarks(box, position) {
  const text = state.data.item.translations[position];
  const list = box.querySelector(".spans");
  const spans = state.marks[position].spans;
  list.replaceChildren();
  if (!spans.length) { list.textContent = "no errors marked"; return; }
  spans.forEach((s, index) => {
    const mark = document.createElement("span");
    mark.className = `mark ${s.severity}`;
    const words = s.start === s.end ? MISSING : text.slice(s.start, s.end);
    const label = document.createElement("span");
    label.textContent = `${s.severity}${s.category ? ` (${s.category})` : ""}: «${words}»`;
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "toggle-severity";
    toggle.textContent = s.severity === "major" ? "make minor" : "make major";
    toggle.addEventListener("click", () => {
      s.severity = s.severity === "major" ? "minor" : "major";
      changed();
    });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove-mark";
    remove.textContent = "remove";
    remove.setAttribute("aria-label", `remove the mark on «${words}»`);
    remove.addEventListener("click", () => { spans.splice(index, 1); changed(); });
    mark.append(label, toggle, remove);
    list.appendChild(mark);
  });
}

function select(position) {
  if (position < 0 || position >= state.tokens.length) return;
  state.current = position; state.cursor = 0; state.anchor = null;
  paint();
}

function move(step, extend) {
  const tokens = state.tokens[state.current];
  if (extend && state.anchor === null) state.anchor = state.cursor;
  if (!extend) state.anchor = null;
  state.cursor = Math.max(0, Math.min(tokens.length - 1, state.cursor + step));
  paint();
}

function fromMouse(position) {
  const chosen = window.getSelection();
  if (!chosen || chosen.isCollapsed) return;
  const tokenOf = (node) => (node && (node.nodeType === 1 ? node : node.parentElement))?.closest(".token");
  const a = tokenOf(chosen.anchorNode), b = tokenOf(chosen.focusNode);
  if (!a || !b) return;
  state.current = position;
  state.anchor = Number(a.dataset.index); state.cursor = Number(b.dataset.index);
  state.justSelected = true;  // the click that ends this drag must not move the cursor
  chosen.removeAllRanges();
  paint();
}

// A new mark replaces the marks it overlaps (an error is marked once); marking exactly the span of an existing
// mark changes its severity (and, for MQM, its category).
function addMark(span) {
  const spans = state.marks[state.current].spans;
  const kept = spans.filter((s) => !overlaps(s, span.start, span.end));
  const replaced = spans.length - kept.length;
  kept.push(span);
  kept.sort((x, y) => x.start - y.start || x.end - y.end);
  state.marks[state.current].spans = kept;
  state.anchor = null;
  changed();
  if (replaced) toast(replaced === 1 ? "changed the mark there" : `replaced the ${replaced} marks there`);
}

function mark(severity) {
  const chosen = selection();
  if (protocol === "mqm") {
    state.pending = { severity, ...chosen };
    document.getElementById("category-picker").hidden = false;
    const input = document.getElementById("category");
    input.value = chosen.start === chosen.end ? String(omissionCategory()) : "";
    input.focus();
    input.select();
    return;
  }
  addMark({ start: chosen.start, end: chosen.end, severity, category: null });
}

function omissionCategory() {
  const categories = Array.from(document.querySelectorAll("#category-picker li")).map((li) => li.textContent.trim());
  return categories.indexOf("Accuracy/Omission") + 1;
}

function chooseCategory() {
  const input = document.getElementById("category");
  const categories = Array.from(document.querySelectorAll("#category-picker li")).map((li) => li.textContent.trim());
  const number = Number.parseInt(input.value, 10);
  if (!(number >= 1 && number <= categories.length)) { toast(`type a number from 1 to ${categories.length}`, true); return; }
  const pending = state.pending;
  closePicker();
  addMark({ ...pending, category: categories[number - 1] });
}

function closePicker() {
  state.pending = null; state.anchor = null;
  document.getElementById("category-picker").hidden = true;
  document.getElementById("category").blur();
  paint();
}

function removeAtCursor() {
  const token = state.tokens[state.current][state.cursor];
  const spans = state.marks[state.current].spans;
  const kept = spans.filter((s) => !overlaps(s, token.start, token.end));
  if (kept.length === spans.length) { toast("no mark under the cursor"); return; }
  state.marks[state.current].spans = kept;
  changed();
}

function toServer() {
  return state.marks.map((m, position) => {
    const text = state.data.item.translations[position];
    return { score: protocol === "esa" ? m.score : null, spans: m.spans.map((s) => ({
      start: toCodePoints(text, s.start), end: toCodePoints(text, s.end), severity: s.severity,
      category: s.category })) };
  });
}

function submit() {
  if (protocol === "esa" && state.marks.some((m) => m.score === null || Number.isNaN(m.score) || m.score < 0 || m.score > 100)) {
    toast("give every translation a score from 0 to 100 (s, then the number)", true);
    return;
  }
  const position = state.data.position;
  const body = { position, version: state.data.version,
    seconds: Math.round((performance.now() - state.started) / 100) / 10, translations: toServer() };
  fetch("/api/campaign/judge", { method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(body) })
    .then((r) => r.json().then((answer) => ({ ok: r.ok, answer })))
    .then(({ ok, answer }) => {
      if (!ok) { toast(answer.error, true); return; }  // the marks stay on the page and in the draft
      state.dirty = false;
      dropDraft(position);
      toast("saved");
      return load(answer.next === null ? position : answer.next);
    })
    .catch((err) => toast(`not saved: ${err.message}`, true));
}

// Going to another item with unsaved marks: the first press says so (the marks are kept as a draft in this
// tab and come back with the item); a second press goes.
function leaveTo(position) {
  if (position < 0 || position >= state.data.total) return;
  if (state.dirty && state.leaveArmed !== position) {
    state.leaveArmed = position;
    keepDraft();
    toast("this item has unsaved marks: Ctrl+Enter saves them; press again to leave them as a draft " +
          "(they come back when you return to this item)", true);
    return;
  }
  load(position);
}

document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (target.id === "category") {
    if (event.key === "Enter") { event.preventDefault(); chooseCategory(); }
    else if (event.key === "Escape") { event.preventDefault(); closePicker(); }
    return;
  }
  if (target.classList && (target.classList.contains("score") || target.classList.contains("score-range"))) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); target.blur(); submit(); }
    else if (event.key === "Enter" || event.key === "Escape") { event.preventDefault(); target.blur(); }
    return;
  }
  if (target.tagName === "INPUT") {
    if (event.key === "Escape") target.blur();
    return;
  }
  // On a button, Enter and Space press it and Tab moves on, as everywhere; the other keys work as on the page.
  if (target.tagName === "BUTTON" && (event.key === "Enter" || event.key === " " || event.key === "Tab")) return;
  if (event.key === "Tab") return;
  if (!state.data) return;
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); submit(); return; }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const count = state.tokens.length;
  if (event.key === "ArrowDown") { event.preventDefault(); select((state.current + 1) % count); }
  else if (event.key === "ArrowUp") { event.preventDefault(); select((state.current + count - 1) % count); }
  else if (event.key === "ArrowRight") { event.preventDefault(); move(state.data.item.target_dir === "rtl" ? -1 : 1, event.shiftKey); }
  else if (event.key === "ArrowLeft") { event.preventDefault(); move(state.data.item.target_dir === "rtl" ? 1 : -1, event.shiftKey); }
  else if (event.key === "End") { event.preventDefault(); state.anchor = null; state.cursor = state.tokens[state.current].length - 1; paint(); }
  else if (event.key === "m" || event.key === "M") {
    event.preventDefault();  // the picker takes the focus: the letter must not be typed into it
    mark(event.key === "m" ? "minor" : "major");
  }
  else if (event.key === "Delete") { event.preventDefault(); removeAtCursor(); }
  else if (event.key === "Backspace") {
    event.preventDefault();
    if (state.marks[state.current].spans.length) { state.marks[state.current].spans.pop(); changed(); }
  }
  else if (event.key === "s" && protocol === "esa") {
    event.preventDefault();
    document.querySelector(`.translation[data-position="${state.current}"] .score`).focus();
  }
  else if (/^[1-9]$/.test(event.key)) select(Number(event.key) - 1);
  else if (event.key === "p") leaveTo(state.data.position - 1);
  else if (event.key === "n") leaveTo(state.data.position + 1);
  else if (event.key === "?") toggleShortcuts();
  else if (event.key === "Escape") toggleShortcuts(false);
});

document.getElementById("mark-minor").addEventListener("click", () => mark("minor"));
document.getElementById("mark-major").addEventListener("click", () => mark("major"));
document.getElementById("submit").addEventListener("click", submit);
document.getElementById("previous-item").addEventListener("click", () => leaveTo(state.data.position - 1));
document.getElementById("next-item").addEventListener("click", () => leaveTo(state.data.position + 1));
document.getElementById("shortcuts").addEventListener("click", () => toggleShortcuts(false));
load().then(() => { document.body.dataset.ready = "1"; });
