// The question asked before a moderator's action with consequences (a ban; see
// moderation-actions.js, which is loaded only when a button is pressed).

import { el } from "./dom.js";

/** Ask before an action with consequences: a modal dialog saying what it does, resolving
 * true when confirmed (Cancel, Escape or the dialog closing otherwise: false). */
export function confirmAction({ title, text, confirm }) {
  const dialog = el("dialog", "confirm-dialog");
  const heading = el("h2", "confirm-title", title);
  heading.id = "confirm-dialog-title";
  dialog.setAttribute("aria-labelledby", heading.id);
  const cancel = el("button", "btn btn-ghost", "Cancel");
  const ok = el("button", "btn btn-danger", confirm);
  for (const button of [cancel, ok]) button.type = "button";
  const buttons = el("div", "confirm-buttons");
  buttons.append(cancel, ok);
  dialog.append(heading, el("p", "", text), buttons);
  return new Promise((resolve) => {
    cancel.addEventListener("click", () => dialog.close("cancel"));
    ok.addEventListener("click", () => dialog.close("confirm"));
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "confirm");
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus(); // the harmless choice first
  });
}
