// The past broadcast page: its recording played with hls.js (or by the browser itself where it
// plays HLS, as Safari does), a playback speed, and the chat replayed beside the video.
// Everything the script needs from the server is in the #video-data JSON.

import Hls from "hls.js/light";
import { qs } from "../channel/dom.js";
import { createReplay } from "./replay.js";

function showError(text) {
  qs("[data-video-error-text]").textContent = text;
  qs("[data-video-error]").hidden = false;
}

/** Plays `playlist` in `video`. hls.js retries a failed request by itself; a fatal error
 * of the network is retried once more from where it stopped, a fatal media error is
 * recovered once, and anything else ends in a message the viewer can read. */
function play(video, playlist) {
  if (Hls.isSupported()) {
    const hls = new Hls();
    const retried = new Set();
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR && !retried.has("network")) {
        retried.add("network");
        hls.startLoad();
      } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !retried.has("media")) {
        retried.add("media");
        hls.recoverMediaError();
      } else {
        hls.destroy();
        showError("The video could not be loaded. Reload the page to try again.");
      }
    });
    hls.loadSource(playlist);
    hls.attachMedia(video);
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = playlist;
  } else {
    showError("This browser cannot play this video.");
  }
}

function setupSpeed(video, select) {
  select.addEventListener("change", () => {
    video.playbackRate = Number(select.value);
  });
  // The browser's own controls may change the speed too.
  video.addEventListener("ratechange", () => {
    const option = [...select.options].find((o) => Number(o.value) === video.playbackRate);
    if (option) select.value = option.value;
  });
}

/** Opening the clip form starts the clip where the video is, 30 s long (the form takes
 * seconds; the viewer may change both). */
function setupClipPanel(video, panel) {
  if (!panel) return;
  panel.addEventListener("toggle", () => {
    if (!panel.open) return;
    const start = Math.floor(video.currentTime);
    const end = Math.min(start + 30, Math.floor(video.duration || start + 30));
    qs("[data-clip-start]", panel).value = String(start);
    qs("[data-clip-end]", panel).value = String(Math.max(end, start + 5));
  });
}

const page = JSON.parse(qs("#video-data").textContent);
const video = qs("[data-video]");
setupSpeed(video, qs("[data-video-speed]"));
setupClipPanel(video, qs("[data-clip-panel]"));
createReplay(qs("[data-replay]"), video, page.chat);
play(video, page.playlist);
