// The admin center's only script: copy buttons and confirmations. Everything works without it,
// except copying to the clipboard.
"use strict";

function copyText(button, text) {
  const done = () => {
    const label = button.textContent;
    button.textContent = "Copied";
    button.classList.add("copied");
    setTimeout(() => { button.textContent = label; button.classList.remove("copied"); }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => {});
  }
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  if (button.dataset.copyFrom) {
    const source = document.getElementById(button.dataset.copyFrom);
    if (source) copyText(button, source.value || source.textContent);
  } else if (button.dataset.copy !== undefined) {
    copyText(button, button.dataset.copy);
  }
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// On narrow screens the navigation and the tabs scroll sideways: keep the current one in view.
window.addEventListener("DOMContentLoaded", () => {
  for (const current of document.querySelectorAll(".sidenav a.active, .tabs a.active")) {
    const strip = current.parentElement;
    if (strip.scrollWidth > strip.clientWidth) {
      const box = strip.getBoundingClientRect();
      const item = current.getBoundingClientRect();
      strip.scrollLeft += item.left - box.left - (box.width - item.width) / 2;
    }
  }
});
