// "Copy link" on a message: its ?at= link to the clipboard, said on screen; where the
// clipboard is refused (permission, plain http) the link is shown selected for Ctrl+C.

import { el } from "./dom.js";
import { messageLink } from "./jump.js";

const SAID_FOR_MS = 2500;

export async function copyMessageLink(item, actions) {
  const link = messageLink(window.location.href, item.dataset.id);
  try {
    await navigator.clipboard.writeText(link);
  } catch {
    showSelected(item, link);
    return;
  }
  actions.querySelector(".message-link-copied")?.remove();
  const said = el("span", "message-link-copied", "Link copied");
  said.setAttribute("role", "status");
  actions.append(said);
  setTimeout(() => said.remove(), SAID_FOR_MS);
}

function showSelected(item, link) {
  let field = item.querySelector(".message-link-field");
  if (!field) {
    field = el("input", "message-link-field");
    field.readOnly = true;
    field.setAttribute("aria-label", "Link to this message: press Ctrl+C to copy");
    field.addEventListener("blur", () => field.remove());
    item.append(field);
  }
  field.value = link;
  field.focus();
  field.select();
}
