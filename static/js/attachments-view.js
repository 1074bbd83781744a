// A message's files: images as thumbnails that open in the lightbox (lightbox.js listens
// for their clicks), other files as name, size and a download link. Until the server has
// made a thumbnail, a box of the image's shape holds its place; message.edited brings it.

import { el } from "./dom.js";
import { formatSize } from "./file-size.js";

export const THUMBNAIL_BOX = { width: 320, height: 240 };

// The size an image is shown at: its own shape, within the box, never enlarged.
export function thumbnailSize(width, height, box = THUMBNAIL_BOX) {
  if (!(width > 0 && height > 0)) return { ...box };
  const scale = Math.min(1, box.width / width, box.height / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export function isImage(attachment) {
  return attachment.content_type.startsWith("image/") && attachment.width > 0;
}

export function attachmentsElement(attachments) {
  const list = el("ul", "attachments");
  list.setAttribute("aria-label", "Attachments");
  // Pictures first, side by side; files below them.
  const ordered = [...attachments.filter(isImage), ...attachments.filter((a) => !isImage(a))];
  for (const attachment of ordered) {
    const item = el("li", "attachment");
    item.dataset.attachmentId = String(attachment.id);
    item.append(isImage(attachment) ? imageTrigger(attachment) : fileLink(attachment));
    list.append(item);
  }
  return list;
}

function imageTrigger(attachment) {
  const trigger = el("button", "attachment-image");
  trigger.type = "button";
  trigger.setAttribute("aria-label", `Open image ${attachment.name}`);
  Object.assign(trigger.dataset, { url: attachment.url, name: attachment.name });
  const { width, height } = thumbnailSize(attachment.width, attachment.height);
  trigger.style.width = `${width}px`;
  trigger.style.aspectRatio = `${width} / ${height}`;
  if (attachment.thumbnail_url) {
    const image = el("img");
    image.src = attachment.thumbnail_url;
    image.alt = attachment.name;
    image.width = width;
    image.height = height;
    trigger.append(image);
  } else {
    trigger.classList.add("is-placeholder");
    trigger.append(el("span", "attachment-placeholder-name", attachment.name));
  }
  return trigger;
}

function fileLink(attachment) {
  const link = el("a", "attachment-file");
  link.href = attachment.url;
  link.download = attachment.name;
  link.append(
    el("span", "attachment-file-name", attachment.name),
    el("span", "attachment-file-size", formatSize(attachment.size)),
  );
  link.setAttribute("aria-label", `Download ${attachment.name}, ${formatSize(attachment.size)}`);
  return link;
}
