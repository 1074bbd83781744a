// A small emoji picker: the frequent ones first and a search over a compact built-in list.
// The list and the search are pure; the picker is one popover the page reuses.

import { button, el } from "./dom.js";

// [emoji, words to find it by]. Compact on purpose: any emoji the server knows is accepted.
export const EMOJI = [
  ["👍", "thumbs up yes like ok agree"], ["❤️", "heart love red"], ["😂", "joy laugh tears funny lol"],
  ["🎉", "party tada celebrate hooray"], ["😮", "wow surprised open mouth"], ["😢", "sad cry tear"],
  ["🙏", "thanks please pray folded hands"], ["👀", "eyes looking watching"], ["🔥", "fire hot lit"],
  ["✅", "check done yes complete"], ["👎", "thumbs down no dislike"], ["😄", "smile happy grin"],
  ["😊", "blush smile happy"], ["😉", "wink"], ["😍", "heart eyes love"], ["🤔", "thinking hmm"],
  ["😅", "sweat smile relief"], ["🙂", "slight smile"], ["🙃", "upside down"], ["😎", "cool sunglasses"],
  ["😬", "grimace awkward"], ["😴", "sleep tired"], ["🤯", "mind blown exploding"], ["😡", "angry rage"],
  ["😱", "scream fear shock"], ["🥳", "party face celebrate"], ["🤗", "hug"], ["🤝", "handshake deal"],
  ["👏", "clap applause bravo"], ["🙌", "raised hands hooray praise"], ["💪", "strong muscle flex"],
  ["👋", "wave hello hi bye"], ["👌", "ok perfect"], ["✌️", "peace victory"], ["🤞", "fingers crossed luck"],
  ["💯", "hundred perfect score"], ["⭐", "star favourite"], ["✨", "sparkles shiny new"],
  ["🚀", "rocket launch ship fast"], ["💡", "idea bulb light"], ["⚠️", "warning caution"],
  ["❌", "cross no wrong"], ["❓", "question what"], ["❗", "exclamation important"], ["➕", "plus add"],
  ["🐛", "bug insect"], ["🍕", "pizza food"], ["☕", "coffee tea hot"], ["🍰", "cake dessert"],
  ["🍻", "beers cheers drink"], ["🎂", "birthday cake"], ["🎁", "gift present"], ["📌", "pin pushpin"],
  ["📎", "paperclip attach"], ["📅", "calendar date"], ["⏰", "alarm clock time"], ["🔒", "lock private"],
  ["💬", "speech chat talk"], ["🧠", "brain smart"], ["🐶", "dog puppy"], ["🐱", "cat kitten"],
  ["🌈", "rainbow"], ["☀️", "sun sunny"], ["🌧️", "rain"], ["❄️", "snow cold"], ["💚", "green heart"],
  ["💙", "blue heart"], ["💜", "purple heart"], ["🖤", "black heart"], ["💔", "broken heart"],
  ["🤷", "shrug dunno"], ["🤦", "facepalm"], ["🙈", "see no evil monkey"], ["💀", "skull dead"],
  ["🏆", "trophy win"], ["🎯", "target bullseye"], ["📈", "chart up growth"], ["📉", "chart down"],
];
const GAP_PX = 6; // between the picker and its opener or the viewport's edge
export const FREQUENT = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"];

// The emoji whose words start with every word of the query; all of them for an empty one.
export function emojiSearch(query, list = EMOJI) {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  return list
    .filter(([emoji, words]) => {
      const known = words.split(" ");
      return terms.every((term) => emoji === term || known.some((word) => word.startsWith(term)));
    })
    .map(([emoji]) => emoji);
}

// The picker's main grid: with no query every emoji but the frequent ones (shown above it),
// with one every match; so each emoji is offered once.
export function pickerGrid(query, list = EMOJI) {
  const found = emojiSearch(query, list);
  return query.trim() ? found : found.filter((emoji) => !FREQUENT.includes(emoji));
}

export class EmojiPicker {
  constructor() {
    this.element = el("div", "emoji-picker");
    this.element.setAttribute("role", "dialog");
    this.element.setAttribute("aria-label", "Choose a reaction");
    this.element.hidden = true;
    this.search = el("input", "emoji-search");
    this.search.type = "search";
    this.search.placeholder = "Search emoji";
    this.search.setAttribute("aria-label", "Search emoji");
    this.grid = el("div", "emoji-grid");
    this.frequent = el("div", "emoji-grid emoji-frequent");
    this.element.append(this.frequent, this.search, this.grid);
    this.frequent.append(...FREQUENT.map((emoji) => this.#choice(emoji)));
    this.search.addEventListener("input", () => this.#fill());
    this.element.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.close();
      }
    });
    document.addEventListener("pointerdown", (event) => {
      if (!this.element.hidden && !this.element.contains(event.target) && event.target !== this.opener) this.close();
    });
    // Fixed in place, it would part from its message as the list scrolls.
    document.addEventListener("scroll", (event) => {
      if (!this.element.contains(event.target)) this.close();
    }, true);
    this.onChoose = null;
    this.opener = null;
  }

  // Shown beside opener (a message's React button); onChoose(emoji) sends the frame.
  open(opener, onChoose) {
    this.opener = opener;
    this.onChoose = onChoose;
    if (!this.element.isConnected) document.body.append(this.element);
    this.search.value = "";
    this.#fill();
    this.element.hidden = false;
    this.#place();
    this.frequent.querySelector("button").focus();
  }

  close() {
    if (this.element.hidden) return;
    this.element.hidden = true;
    this.opener?.focus();
  }

  // Fixed to the viewport, below the opener or above it when there is no room below, and
  // never past either side: a message at the bottom of a phone's screen keeps its picker.
  #place() {
    const anchor = this.opener.getBoundingClientRect();
    const { width, height } = this.element.getBoundingClientRect();
    const fitsBelow = anchor.bottom + GAP_PX + height <= window.innerHeight - GAP_PX;
    const top = fitsBelow ? anchor.bottom + GAP_PX : Math.max(GAP_PX, anchor.top - GAP_PX - height);
    const left = Math.min(Math.max(GAP_PX, anchor.right - width), window.innerWidth - GAP_PX - width);
    this.element.style.top = `${Math.round(top)}px`;
    this.element.style.left = `${Math.round(Math.max(GAP_PX, left))}px`;
  }

  #fill() {
    const found = pickerGrid(this.search.value);
    this.frequent.hidden = this.search.value.trim() !== "";
    this.grid.replaceChildren(...found.map((emoji) => this.#choice(emoji)));
    if (!found.length) this.grid.append(el("p", "emoji-none", "No emoji match."));
  }

  #choice(emoji) {
    const choice = button("emoji-choice", emoji);
    choice.setAttribute("aria-label", `React with ${emoji}`);
    choice.addEventListener("click", () => {
      const choose = this.onChoose;
      this.close();
      choose?.(emoji);
    });
    return choice;
  }
}
