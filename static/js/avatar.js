// A person's avatar: initials on one of the palette's colours, chosen by the username.
// Mirrors accounts/avatars.py line for line; tests/support/avatar_cases.json pins both.

import { el } from "./dom.js";

export const AVATAR_COLORS = 12;

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

function first(word) {
  for (const char of word) if (LETTER_OR_DIGIT.test(char)) return char;
  return "";
}

export function avatarInitials({ username, display_name: displayName }) {
  const name = (displayName || "").trim() || username;
  const words = name.split(/\s+/).filter((word) => first(word));
  if (words.length === 0) return (first(username) || "?").toUpperCase();
  const letters = first(words[0]) + (words.length > 1 ? first(words[words.length - 1]) : "");
  return letters.toUpperCase();
}

export function avatarColor({ username }) {
  let hashed = 0;
  for (const char of username) hashed = (Math.imul(hashed, 31) + char.codePointAt(0)) >>> 0;
  return hashed % AVATAR_COLORS;
}

// Decorative: the person's name is always written beside it.
export function avatarElement(person) {
  // An uploaded picture (accounts.selectors.person_of builds the URL) replaces the initials.
  if (person.avatar_url) {
    const image = el("img", "avatar");
    image.src = person.avatar_url;
    image.alt = "";
    return image;
  }
  const avatar = el("span", `avatar avatar-${avatarColor(person)}`, avatarInitials(person));
  avatar.setAttribute("aria-hidden", "true");
  return avatar;
}
