// seedmt human evaluation: mark error spans (and, for ESA, give scores) in blind translations, keyboard first.
// Every text is written with textContent; the server keeps which system made which translation.
"use strict";

const protocol = document.body.dataset.protocol;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const state = { data: null, marks: [], tokens: [], current: 0, cursor: 0, anchor: null, started: 0, pending: null };

function tokenize(text, spaced) {
  const tokens = [];
  const pattern = spaced ? /\S+/gu : /\S/gu;
  let match;
  while ((match = pattern.exec(text)) !== null) tokens.push({ start: match.index, end: match.index + match[0].length });
  return tokens;
}

function load(position) {
  const query = position === undefined ? "" : `?position=${position}`;
  return fetch(`/api/campaign/item${query}`, { credentials: "same-origin" })
    .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
    .then(({ ok, body }) => { if (!ok) throw new Error(body.error); render(body); })
    .catch((err) => toast(`could not load the item: ${err.message}`, true));
}

function render(data) {
  state.data = data;
  const item = data.item;
  state.marks = data.judgement ? data.judgement.map((t) => ({ score: t.score, spans: t.spans.map((s) => ({ ...s })) }))
    : item.translations.map(() => ({ score: null, spans: [] }));
  state.tokens = item.translations.map((text) => tokenize(text, data.spaced));
  state.current = 0; state.cursor = 0; state.anchor = null; state.started = performance.now();
  document.getElementById("progress").textContent =
    `item ${data.position + 1} of ${data.total} · ${data.judged} judged${data.judgement ? " · this one judged (revising)" : ""}`;
  document.getElementById("finished").hidden = !data.finished;
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
  item.translations.forEach((text, position) => {
    const box = document.createElement("div");
    box.className = "translation";
    box.dataset.position = position;
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = `Translation ${position + 1}`;
    box.appendChild(label);
    if (protocol === "esa") {
      const score = document.createElement("input");
      score.className = "score";
      score.type = "number"; score.min = "0"; score.max = "100"; score.placeholder = "score";
      score.setAttribute("aria-label", `score of translation ${position + 1}`);
      if (state.marks[position].score !== null) score.value = state.marks[position].score;
      score.addEventListener("input", () => {
        state.marks[position].score = score.value === "" ? null : Number.parseInt(score.value, 10);
      });
      box.appendChild(score);
    }
    const body = document.createElement("div");
    body.className = "text";
    body.dir = item.target_dir;
    let at = 0;
    state.tokens[position].forEach((token, index) => {
      if (token.start > at) body.appendChild(document.createTextNode(text.slice(at, token.start)));
      const span = document.createElement("span");
      span.className = "token";
      span.dataset.index = index;
      span.textContent = text.slice(token.start, token.end);
      body.appendChild(span);
      at = token.end;
    });
    if (at < text.length) body.appendChild(document.createTextNode(text.slice(at)));
    body.addEventListener("mouseup", () => fromMouse(position));
    box.appendChild(body);
    const spans = document.createElement("div");
    spans.className = "spans";
    box.appendChild(spans);
    box.addEventListener("click", (event) => { if (event.target.tagName !== "INPUT") select(position); });
    list.appendChild(box);
  });
  paint();
}

function selection() {
  const a = state.anchor === null ? state.cursor : state.anchor;
  const tokens = state.tokens[state.current];
  if (!tokens.length) return null;
  const first = Math.min(a, state.cursor), last = Math.max(a, state.cursor);
  return { start: tokens[first].start, end: tokens[last].end };
}

function paint() {
  const chosen = selection();
  document.querySelectorAll(".translation").forEach((box) => {
    const position = Number(box.dataset.position);
    box.classList.toggle("current", position === state.current);
    const spans = state.marks[position].spans;
    box.querySelectorAll(".token").forEach((element) => {
      const token = state.tokens[position][Number(element.dataset.index)];
      const overlapping = spans.filter((s) => s.start < token.end && token.start < s.end);
      element.classList.toggle("major", overlapping.some((s) => s.severity === "major"));
      element.classList.toggle("minor", overlapping.some((s) => s.severity === "minor"));
      const here = position === state.current;
      element.classList.toggle("cursor", here && Number(element.dataset.index) === state.cursor);
      element.classList.toggle("selected", here && chosen !== null && token.start >= chosen.start && token.end <= chosen.end);
    });
    const text = state.data.item.translations[position];
    const list = box.querySelector(".spans");
    list.textContent = spans.length ? spans.map((s) => `${s.severity}${s.category ? ` (${s.category})` : ""}: «${text.slice(s.start, s.end)}»`).join(" · ") : "no errors marked";
  });
}

function select(position) {
  if (position < 0 || position >= state.tokens.length) return;
  state.current = position; state.cursor = 0; state.anchor = null;
  paint();
}

function move(step, extend) {
  const tokens = state.tokens[state.current];
  if (!tokens.length) return;
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
  chosen.removeAllRanges();
  paint();
}

function mark(severity) {
  const chosen = selection();
  if (chosen === null) return;
  if (protocol === "mqm") {
    state.pending = { severity, ...chosen };
    document.getElementById("category-picker").hidden = false;
    const input = document.getElementById("category");
    input.value = "";
    input.focus();
    return;
  }
  state.marks[state.current].spans.push({ start: chosen.start, end: chosen.end, severity, category: null });
  state.anchor = null;
  paint();
}

function chooseCategory() {
  const input = document.getElementById("category");
  const categories = Array.from(document.querySelectorAll("#category-picker li")).map((li) => li.textContent);
  const number = Number.parseInt(input.value, 10);
  if (!(number >= 1 && number <= categories.length)) { toast(`type a number from 1 to ${categories.length}`, true); return; }
  state.marks[state.current].spans.push({ ...state.pending, category: categories[number - 1] });
  closePicker();
}

function closePicker() {
  state.pending = null; state.anchor = null;
  document.getElementById("category-picker").hidden = true;
  document.getElementById("category").blur();
  paint();
}

function submit() {
  if (protocol === "esa" && state.marks.some((m) => m.score === null || Number.isNaN(m.score) || m.score < 0 || m.score > 100)) {
    toast("give every translation a score from 0 to 100 (s, then the number)", true);
    return;
  }
  const body = { item_id: state.data.item.id, version: state.data.version,
    seconds: Math.round((performance.now() - state.started) / 100) / 10,
    translations: state.marks.map((m) => ({ score: protocol === "esa" ? m.score : null, spans: m.spans })) };
  fetch("/api/campaign/judge", { method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(body) })
    .then((r) => r.json().then((answer) => ({ ok: r.ok, answer })))
    .then(({ ok, answer }) => {
      if (!ok) { toast(answer.error, true); return; }
      toast("saved");
      return load(answer.next === null ? state.data.position : answer.next);
    })
    .catch((err) => toast(`not saved: ${err.message}`, true));
}

document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (target.id === "category") {
    if (event.key === "Enter") { event.preventDefault(); chooseCategory(); }
    else if (event.key === "Escape") { event.preventDefault(); closePicker(); }
    return;
  }
  if (target.classList && target.classList.contains("score")) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); target.blur(); submit(); }
    else if (event.key === "Enter" || event.key === "Escape") { event.preventDefault(); target.blur(); }
    return;
  }
  if (!state.data) return;
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); submit(); return; }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const count = state.tokens.length;
  if (event.key === "Tab") { event.preventDefault(); select((state.current + (event.shiftKey ? count - 1 : 1)) % count); }
  else if (event.key === "ArrowRight") { event.preventDefault(); move(state.data.item.target_dir === "rtl" ? -1 : 1, event.shiftKey); }
  else if (event.key === "ArrowLeft") { event.preventDefault(); move(state.data.item.target_dir === "rtl" ? 1 : -1, event.shiftKey); }
  else if (event.key === "m" || event.key === "M") {
    event.preventDefault();  // the picker takes the focus: the letter must not be typed into it
    mark(event.key === "m" ? "minor" : "major");
  }
  else if (event.key === "Backspace") { event.preventDefault(); state.marks[state.current].spans.pop(); paint(); }
  else if (event.key === "s" && protocol === "esa") {
    event.preventDefault();
    document.querySelector(`.translation[data-position="${state.current}"] .score`).focus();
  }
  else if (/^[1-9]$/.test(event.key)) select(Number(event.key) - 1);
  else if (event.key === "p" && state.data.position > 0) load(state.data.position - 1);
  else if (event.key === "n" && state.data.position + 1 < state.data.total) load(state.data.position + 1);
  else if (event.key === "?") toggleShortcuts();
  else if (event.key === "Escape") toggleShortcuts(false);
});

document.getElementById("mark-minor").addEventListener("click", () => mark("minor"));
document.getElementById("mark-major").addEventListener("click", () => mark("major"));
document.getElementById("submit").addEventListener("click", submit);
load();
