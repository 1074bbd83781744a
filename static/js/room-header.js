// The room's name and description, and the controls my role brings (settings, audit log,
// invitations), kept in step with room.updated and member.updated.

export class RoomHeader {
  constructor({ slug, isDirect, input, controlsByRole }) {
    Object.assign(this, { slug, isDirect, input, controlsByRole });
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

  // Shows the links of the new role; returns what it may do, or null for a role the page
  // was not given (site staff keep theirs whatever their membership says).
  applyRole(role) {
    const shown = this.controlsByRole[role];
    if (!shown) return null;
    for (const link of document.querySelectorAll(".chat-header [data-control]")) {
      link.hidden = !shown[link.dataset.control];
    }
    return shown;
  }

  dropFromSidebar() {
    for (const link of this.#sidebarLinks("")) link.closest("li").remove();
  }

  #sidebarLinks(inside) {
    return document.querySelectorAll(`#sidebar [data-slug="${CSS.escape(this.slug)}"]${inside}`);
  }
}
