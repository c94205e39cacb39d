// The emote picker and ":" completion in the chat box, loaded the first time the chat box is
// focused or the emote button pressed (main.js).

import { el, qs } from "./dom.js";
import { image } from "./emotes.js";

/** The picker button and ":" completion on the chat form's input; returns toggle() (the
 * picker) and complete() (what the input's text asks for now). */
export function setupEmotes(form, emotes) {
  const input = qs("#chat-input", form);
  const button = qs("[data-emote-button]", form);
  const picker = qs("[data-emote-picker]", form);
  const list = qs("[data-emote-suggestions]", form);
  const codes = Object.keys(emotes).sort();
  if (!input || !button || !codes.length) return null;

  // Puts `code` in place of input.value[start:end], as a word of its own.
  function insert(code, start = input.selectionStart, end = input.selectionEnd) {
    const before = input.value.slice(0, start);
    const after = input.value.slice(end);
    const text = `${before && !/\s$/.test(before) ? " " : ""}${code} `;
    input.value = before + text + after.replace(/^\s+/, "");
    input.focus();
    input.setSelectionRange(start + text.length, start + text.length);
  }

  function openPicker(open) {
    picker.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) qs("button", picker)?.focus();
  }
  for (const code of codes) {
    const choice = el("button", "emote-choice");
    choice.type = "button";
    choice.append(image(code, emotes[code]));
    choice.addEventListener("click", () => {
      openPicker(false);
      insert(code);
    });
    picker.append(choice);
  }
  button.addEventListener("click", () => openPicker(picker.hidden));
  picker.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    openPicker(false);
    button.focus();
  });

  // ":" completion: a listbox of the codes starting with what follows the ":".
  let matches = [];
  let active = 0;
  let start = 0;
  function show() {
    list.replaceChildren(
      ...matches.map((code, i) => {
        const option = el("li", "emote-option");
        option.id = `emote-option-${i}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", String(i === active));
        option.append(image(code, emotes[code]), ` ${code}`);
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          accept(i);
        });
        return option;
      }),
    );
    list.hidden = !matches.length;
    input.setAttribute("aria-expanded", String(!!matches.length));
    if (matches.length) input.setAttribute("aria-activedescendant", `emote-option-${active}`);
    else input.removeAttribute("aria-activedescendant");
  }
  function accept(i) {
    const code = matches[i];
    matches = [];
    show();
    insert(code, start, input.selectionStart);
  }
  function complete() {
    const typed = /(?:^|\s):([A-Za-z0-9]{1,25})$/.exec(input.value.slice(0, input.selectionStart));
    const prefix = typed ? typed[1].toLowerCase() : "";
    matches = prefix ? codes.filter((c) => c.toLowerCase().startsWith(prefix)).slice(0, 8) : [];
    start = typed ? input.selectionStart - typed[1].length - 1 : 0;
    active = 0;
    show();
  }
  input.addEventListener("input", complete);
  input.addEventListener("keydown", (event) => {
    if (!matches.length) return;
    const moves = { ArrowDown: 1, ArrowUp: matches.length - 1 };
    if (event.key in moves) active = (active + moves[event.key]) % matches.length;
    else if (event.key === "Enter" || event.key === "Tab") accept(active);
    else if (event.key === "Escape") matches = [];
    else return;
    event.preventDefault();
    show();
  });
  input.addEventListener("blur", () => {
    matches = [];
    show();
  });
  return { toggle: () => openPicker(picker.hidden), complete };
}
