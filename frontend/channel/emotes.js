// Emotes in the chat: codes in live messages shown as images (the picker and ":" completion
// are emote-picker.js, loaded when first used).
// As emotes/markup.py does for the history: a code counts only as a word of its own, the
// image's text alternative is the code, and a message's text only ever becomes text nodes.

import { el } from "./dom.js";

const own = (emotes, code) => (Object.hasOwn(emotes, code) ? emotes[code] : null);

export function image(code, emote) {
  const img = el("img", "emote");
  img.src = emote.url;
  img.srcset = `${emote.url2x} 2x`;
  img.alt = img.title = code;
  img.height = 28;
  return img;
}

/** `text` as nodes: text nodes, and an image for each word that is one of `emotes`' codes. */
export function emoteNodes(text, emotes) {
  const nodes = [];
  let plain = "";
  for (const word of text.split(/(\s+)/)) {
    const emote = own(emotes, word);
    if (!emote) {
      plain += word;
      continue;
    }
    if (plain) nodes.push(document.createTextNode(plain));
    nodes.push(image(word, emote));
    plain = "";
  }
  if (plain) nodes.push(document.createTextNode(plain));
  return nodes;
}
