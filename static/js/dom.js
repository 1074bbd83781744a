// The one way scripts make elements: user text goes in as textContent, never innerHTML.
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function button(className, text, type = "button") {
  const node = el("button", className, text);
  node.type = type;
  return node;
}
