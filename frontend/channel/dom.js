// Small DOM and HTTP helpers shared by the channel page modules.

export const qs = (selector, root = document) => root.querySelector(selector);
export const qsa = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/** An element with a class and, optionally, text. Text always goes through textContent:
 * chat messages and names are user input and must never be parsed as HTML. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  // A guest's cookie comes with their viewer token (the pages guests share hold no token);
  // a signed-in viewer's chat form also carries the field, the fallback if it is renamed.
  const field = qs("input[name=csrfmiddlewaretoken]");
  return field ? field.value : "";
}

/** fetch() for the site's JSON API. Resolves for every HTTP status, with `data` always an
 * object (a CSRF failure or a proxy error page is HTML, not JSON); rejects only when the
 * request never got an answer. */
export async function request(url, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return {
    ok: response.ok,
    status: response.status,
    data: data && typeof data === "object" ? data : {},
    headers: response.headers,
  };
}

/** The API's human `detail`, or a fallback that still tells the person what failed. */
export function detailOf(result, fallback) {
  const detail = result.data.detail;
  return typeof detail === "string" && detail ? detail : `${fallback} (error ${result.status})`;
}

const pad = (n) => String(n).padStart(2, "0");

/** "HH:mm" in the reader's time zone; the server renders UTC. */
export function localTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function fullTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
}

/** "15:48" today, "tomorrow 15:48" or "Mar 5, 15:48" another day, in the reader's time
 * zone: when a timeout ends, which may well be tomorrow. */
export function localMoment(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  const day = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((day(date) - day(new Date())) / 86400000);
  if (days === 0) return time;
  if (days === 1) return `tomorrow ${time}`;
  return `${date.toLocaleDateString(undefined, { month: "short", day: "numeric" })}, ${time}`;
}

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
