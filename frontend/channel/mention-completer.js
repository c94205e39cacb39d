// Completion of @mentions while typing "@" in the chat box, from the people in chat; loaded
// the first time the chat box is focused (chat.js).

import { el } from "./dom.js";

// The "@name" being typed just before the caret.
const TYPING = /(?:^|[^A-Za-z0-9_@-])@([A-Za-z0-9_-]{0,30})$/;
const MAX_CHOICES = 8;

/** Completion of "@name" in `input`: a listbox of `names()` (a combobox, keyboard first:
 * arrows to move, Enter or Tab to take, Escape to close); complete() shows what the input's
 * text asks for now. */
export function createMentionCompleter(input, names) {
  const list = el("ul", "chat-mention-list");
  list.id = "chat-mention-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "People to mention");
  list.hidden = true;
  input.parentElement.after(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  let choices = [];
  let active = 0;

  function typed() {
    const before = input.value.slice(0, input.selectionStart ?? input.value.length);
    return TYPING.exec(before);
  }

  function close() {
    list.hidden = true;
    list.replaceChildren();
    choices = [];
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function show(index) {
    active = (index + choices.length) % choices.length;
    [...list.children].forEach((option, i) => option.setAttribute("aria-selected", String(i === active)));
    input.setAttribute("aria-activedescendant", `chat-mention-${active}`);
    list.children[active].scrollIntoView({ block: "nearest" });
  }

  function open() {
    const match = typed();
    const query = match ? match[1].toLowerCase() : null;
    choices = query === null ? [] : names().filter((n) => n.toLowerCase().startsWith(query));
    choices = choices.slice(0, MAX_CHOICES);
    if (!choices.length) return close();
    list.replaceChildren(
      ...choices.map((name, i) => {
        const option = el("li", "chat-mention-option", `@${name}`);
        option.id = `chat-mention-${i}`;
        option.setAttribute("role", "option");
        return option;
      }),
    );
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    show(0);
  }

  function take(name) {
    const match = typed();
    if (match) {
      const end = input.selectionStart ?? input.value.length;
      const start = end - match[1].length;
      input.setRangeText(`${name} `, start, end, "end");
    }
    close();
    input.focus();
  }

  input.addEventListener("input", open);
  // Closed a moment after the box loses focus, unless it has focus back by then (Reply
  // pressed, which focuses the box, then typing at once).
  let closing = 0;
  input.addEventListener("blur", () => {
    closing = setTimeout(close, 150);
  });
  input.addEventListener("focus", () => clearTimeout(closing));
  input.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in moves) show(active + moves[event.key]);
    else if (event.key === "Enter" || event.key === "Tab") take(choices[active]);
    else if (event.key === "Escape") close();
    else return;
    event.preventDefault();
  });
  // Pressing an option must not take the focus from the input first.
  list.addEventListener("mousedown", (event) => event.preventDefault());
  list.addEventListener("click", (event) => {
    const option = event.target.closest("[role=option]");
    if (option) take(choices[[...list.children].indexOf(option)]);
  });
  return { close, complete: open };
}
