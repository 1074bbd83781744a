// The room's name and description, kept in step with room.updated.

export class RoomHeader {
  constructor({ slug, isDirect, input }) {
    Object.assign(this, { slug, isDirect, input });
    this.title = document.querySelector(".chat-title");
    const initialName = this.title.textContent;
    this.titleSuffix = document.title.startsWith(initialName) ? document.title.slice(initialName.length) : "";
    this.placeholderPrefix = input.placeholder.endsWith(initialName)
      ? input.placeholder.slice(0, input.placeholder.length - initialName.length)
      : null;
  }

  applyRoom(room) {
    if (this.isDirect) return; // a conversation is named after the other person, not the room
    this.title.textContent = room.name;
    const description = document.querySelector(".chat-description");
    description.textContent = room.description || "";
    description.hidden = !room.description;
    document.title = `${room.name}${this.titleSuffix}`;
    if (this.placeholderPrefix !== null) this.input.placeholder = `${this.placeholderPrefix}${room.name}`;
    for (const name of this.#sidebarLinks(" .sidebar-name")) name.textContent = room.name;
  }

  dropFromSidebar() {
    for (const link of this.#sidebarLinks("")) link.closest("li").remove();
  }

  #sidebarLinks(inside) {
    return document.querySelectorAll(`#sidebar [data-slug="${CSS.escape(this.slug)}"]${inside}`);
  }
}
