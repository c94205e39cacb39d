// A chatter's card: a click (or Enter) on a name in the chat shows who it is, a link to their
// channel, and Block or Unblock for a signed-in viewer (blocking.js asks before blocking).
// Guests are offered to log in instead; a guest chatter has no channel and cannot be blocked.
// main.js loads this module on the first click on a name and opens the card with `open`.

import { el, qs } from "./dom.js";

// Chat messages name their author by person (streams/rooms.py): a signed-in user's id, or a
// guest identity, which is never a UUID.
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** In an embed, a link opens the site in a new tab: the site's pages refuse to be framed. */
function leaveFrame(link, page) {
  if (!page.embed) return;
  link.target = "_blank";
  link.rel = "noopener";
}

/** The card, placed after the chat's `list`; returns open(nameNode). */
export function createChatterCard(list, page, blocking) {
  const card = el("div", "chatter-card");
  card.setAttribute("role", "dialog");
  card.setAttribute("aria-label", "Chatter");
  card.dataset.chatterCard = "";
  card.hidden = true;
  list.after(card);
  let opener = null;

  function close() {
    if (card.hidden) return;
    card.hidden = true;
    if (opener) opener.focus();
    opener = null;
  }

  function button(text, className, onClick) {
    const node = el("button", `btn ${className}`, text);
    node.type = "button";
    node.addEventListener("click", onClick);
    return node;
  }

  function open(nameNode) {
    const item = nameNode.closest(".chat-message");
    const userId = item.dataset.userId || "";
    const name = item.dataset.userName || nameNode.textContent;
    const isUser = USER_ID.test(userId);
    card.setAttribute("aria-label", name);
    const head = el("div", "chatter-card-head");
    if (isUser) {
      const link = el("a", "chatter-card-name", name);
      link.href = page.urls.channel.replace("{username}", encodeURIComponent(name));
      leaveFrame(link, page);
      head.append(link);
    } else {
      head.append(el("span", "chatter-card-name", name));
    }
    const closeButton = button("×", "btn-ghost chatter-card-close", close);
    closeButton.setAttribute("aria-label", "Close");
    head.append(closeButton);
    const actions = el("div", "chatter-card-actions");
    if (isUser && page.viewer.role === "guest") {
      const login = el("a", "btn btn-ghost", "Log in to block");
      // From an embed, signing in happens on the site, which then shows the channel.
      const back = page.embed ? page.urls.channel.replace("{username}", page.host.username) : null;
      login.href = `${page.urls.login}?next=${encodeURIComponent(back || window.location.pathname)}`;
      leaveFrame(login, page);
      actions.append(login);
    } else if (isUser && blocking.mayBlock(userId)) {
      actions.append(
        blocking.isBlocked(userId)
          ? button("Unblock", "btn-ghost", () => blocking.unblock(name))
          : button("Block", "btn-danger", () => blocking.block(name)),
      );
    }
    card.replaceChildren(head, actions);
    opener = nameNode;
    card.hidden = false;
    (qs(".chatter-card-actions .btn", card) || closeButton).focus();
  }

  card.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
  return open;
}
