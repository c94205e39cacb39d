// Blocking from the channel page: the channel's own Block button and a chatter's card ask
// "Block X?" in the page's dialog (streams/_block_dialog.html), whose form POSTs to the site's
// block view with its CSRF token and comes back here saying what happened. Unblocking needs
// no question: it is one POST to the unblock view. main.js loads this module on the first
// click on the channel's Block button or on a chatter's name.

import { csrfToken, el, qs } from "./dom.js";

export function createBlocking(page) {
  const dialog = qs("[data-block-dialog]");
  const urlFor = (template, username) => template.replace("{username}", encodeURIComponent(username));

  /** Whether this viewer may block the user `userId` from this page: a signed-in viewer
   * (the page then has the dialog), not themself, and not from their own channel, whose chat
   * they moderate instead. */
  function mayBlock(userId) {
    return Boolean(dialog) && page.viewer.role !== "host" && userId !== page.viewer.id;
  }

  function confirmBlock(username, url) {
    qs("[data-block-dialog-name]", dialog).textContent = username;
    qs("[data-block-dialog-form]", dialog).action = url;
    dialog.showModal();
  }

  function unblock(username) {
    // A plain form POST, as the dialog's, so both come back with the site's message.
    const form = el("form");
    form.method = "post";
    form.action = urlFor(page.urls.unblock, username);
    for (const [name, value] of [
      ["csrfmiddlewaretoken", csrfToken()],
      ["next", window.location.pathname],
    ]) {
      const input = el("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.append(input);
    }
    document.body.append(form);
    form.submit();
  }

  if (dialog) {
    qs("[data-block-dialog-cancel]", dialog).addEventListener("click", () => dialog.close());
  }

  return {
    /** Ask before blocking `username` at `url` (the channel's own Block button). */
    confirm: confirmBlock,
    mayBlock,
    isBlocked: (userId) => (page.viewer.blocking || []).includes(userId),
    block: (username) => confirmBlock(username, urlFor(page.urls.block, username)),
    unblock,
  };
}
