// seedmt review: what every page's script uses. Every text is written with textContent.
"use strict";

function toast(message, isError) {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.className = isError ? "error shown" : "shown";
  clearTimeout(box.hideTimer);
  box.hideTimer = setTimeout(() => { box.className = ""; }, isError ? 8000 : 2500);
}

function toggleShortcuts(show) {
  const panel = document.getElementById("shortcuts");
  panel.hidden = show === undefined ? !panel.hidden : !show;
}
