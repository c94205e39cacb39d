// The video player: one LiveKit room per channel, watched through the host's tracks only.

import { DisconnectReason, Room, RoomEvent, Track, VideoQuality } from "livekit-client";
import { detailOf, el, qs, request } from "./dom.js";

// Fresh token + connect attempts after an unexpected disconnect before giving up; with the
// backoff below that is about half a minute, then a "Try again" button instead of a spinner.
const MAX_RETRIES = 5;
const backoff = (attempt) => Math.min(1000 * 2 ** (attempt - 1), 10_000);

// Disconnects that a new connection would not undo (or would undo against the host's will).
const FINAL = new Map([
  [DisconnectReason.PARTICIPANT_REMOVED, { text: "You were removed from this stream.", excluded: true }],
  [DisconnectReason.ROOM_DELETED, { text: "The stream ended.", retry: true, ended: true }],
  [DisconnectReason.ROOM_CLOSED, { text: "The stream ended.", retry: true, ended: true }],
  [DisconnectReason.DUPLICATE_IDENTITY, { text: "This stream was opened somewhere else.", retry: true }],
]);

/**
 * page.preview: the dashboard's preview of one's own stream: always muted (no sound
 * controls: a creator hearing the stream back would feed it into their microphone) and
 * the lowest layer of the video, which is all a small player shows.
 * hooks: onLive(live, changed), onPeople(room | null), onData(message), onConnected(),
 * onLost() (the room is gone for good, its broadcasts with it), onExcluded(text),
 * onGrant(grant) (who the site let in: grant.person, see streams/rooms.py).
 * The player owns the connection; the rest of the page only listens.
 */
export function createPlayer(root, page, hooks) {
  const publisher = page.publisher; // the participant that is the stream (see streams/rooms.py)
  const preview = Boolean(page.preview);
  const ui = {
    offline: qs("[data-player-offline]", root),
    loading: qs("[data-player-loading]", root),
    status: qs("[data-player-status]", root),
    error: qs("[data-player-error]", root),
    errorText: qs("[data-player-error-text]", root),
    video: qs("[data-player-video]", root),
    controls: qs("[data-player-controls]", root),
    mute: qs("[data-player-mute]", root),
    volume: qs("[data-player-volume]", root),
    fullscreen: qs("[data-player-fullscreen]", root),
  };
  const retryButton = el("button", "btn btn-ghost", "Try again");
  retryButton.type = "button";
  retryButton.hidden = true;
  ui.error.append(retryButton);

  const entered = new WeakSet(); // rooms whose connect() succeeded
  let room = null; // the current Room; events from a replaced one are ignored
  let phase = "connecting"; // connecting | connected | reconnecting | error
  let ended = false; // in the error phase: the error is that the stream ended
  let statusText = "Connecting…";
  let hostVideo = null;
  let hostAudio = null;
  let failures = 0;
  let retryTimer = 0;
  let generation = 0;
  let reportedLive; // undefined until the first report: the server-rendered badge stands till then

  function hostPresent() {
    return Boolean(room && room.remoteParticipants.get(publisher));
  }

  function render() {
    let view = "loading";
    let status = statusText;
    if (phase === "error") view = "error";
    else if (phase === "connected") {
      if (hostVideo) view = "video";
      else if (hostPresent()) status = "Waiting for video…";
      else view = "offline";
    }
    ui.offline.hidden = view !== "offline";
    ui.loading.hidden = view !== "loading";
    ui.error.hidden = view !== "error";
    ui.video.hidden = view !== "video";
    ui.controls.hidden = view !== "video";
    if (ui.status.textContent !== status) ui.status.textContent = status;
    // While a dropped connection is being restored the badge keeps its last value, so a
    // network blip does not flash "Offline"; so does an error that says nothing about the
    // stream (a viewer removed or refused cannot see it, but it may well be live).
    if (phase === "connected" || (phase === "error" && ended)) {
      const live = phase === "connected" && hostVideo !== null;
      if (live !== reportedLive) {
        const changed = reportedLive !== undefined;
        reportedLive = live;
        hooks.onLive(live, changed);
      }
    }
  }

  // ------------------------------------------------------------------ sound and controls

  let muted = true; // autoplay policies only allow muted playback without a click
  let volume = 1;

  function applySound() {
    // livekit's attach() unmutes the element whenever it carries audio: re-assert ours.
    ui.video.muted = muted;
    ui.video.volume = volume;
    if (preview) return; // no sound controls
    ui.mute.textContent = muted ? "Unmute" : "Mute";
    ui.mute.setAttribute("aria-pressed", String(muted));
    ui.volume.value = String(muted ? 0 : Math.round(volume * 100));
  }

  function setMuted(value) {
    muted = value;
    applySound();
    if (!muted && ui.video.paused && ui.video.srcObject) {
      // Called from the click, so the browser allows sound now.
      ui.video.play().catch(() => {
        muted = true;
        applySound();
      });
    }
  }

  if (!preview) {
    ui.mute.addEventListener("click", () => setMuted(!muted));
    ui.volume.addEventListener("input", () => {
      const level = Number(ui.volume.value) / 100;
      if (level > 0) volume = level;
      setMuted(level === 0);
    });
  }

  if (root.requestFullscreen) {
    const toggleFullscreen = () => {
      if (document.fullscreenElement === root) document.exitFullscreen().catch(() => {});
      else root.requestFullscreen().catch(() => {});
    };
    ui.fullscreen.addEventListener("click", toggleFullscreen);
    ui.video.addEventListener("dblclick", toggleFullscreen);
    document.addEventListener("fullscreenchange", () => {
      const on = document.fullscreenElement === root;
      ui.fullscreen.textContent = on ? "Exit fullscreen" : "Fullscreen";
      ui.fullscreen.setAttribute("aria-pressed", String(on));
    });
  } else {
    ui.fullscreen.hidden = true; // e.g. iPhone Safari: only the video itself can go fullscreen
  }

  // ------------------------------------------------------------------ the host's tracks

  function onSubscribed(track, publication, participant) {
    if (participant.identity !== publisher) return;
    if (track.kind === Track.Kind.Video) {
      performance.mark("player:video-subscribed");
      if (preview) publication.setVideoQuality(VideoQuality.LOW);
      if (hostVideo && hostVideo !== track) hostVideo.detach(ui.video);
      hostVideo = track;
    } else if (track.kind === Track.Kind.Audio) {
      if (hostAudio && hostAudio !== track) hostAudio.detach(ui.video);
      hostAudio = track;
    } else return;
    // Audio and video share the element, so one mute/volume controls the stream.
    track.attach(ui.video);
    applySound();
    render();
  }

  function onUnsubscribed(track) {
    if (track === hostVideo) hostVideo = null;
    else if (track === hostAudio) hostAudio = null;
    else return;
    track.detach(ui.video);
    // A room being left (this viewer removed, say) unsubscribes every track before it says
    // why, in the same turn: render after that, or being removed would read as the stream
    // going offline.
    queueMicrotask(render);
  }

  function dropTracks() {
    for (const track of [hostVideo, hostAudio]) if (track) track.detach(ui.video);
    hostVideo = hostAudio = null;
  }

  // ------------------------------------------------------------------ connection

  function showError(text, canRetry, streamEnded = false) {
    clearTimeout(retryTimer);
    phase = "error";
    ended = streamEnded;
    ui.errorText.textContent = text;
    retryButton.hidden = !canRetry;
    dropTracks();
    render();
    hooks.onPeople(null);
    hooks.onLost();
  }

  function retryLater(text, visible) {
    failures += 1;
    if (failures > MAX_RETRIES) {
      showError(text, true);
      return;
    }
    const delay = backoff(failures);
    if (visible) {
      // A failed request to our own server: say so rather than spin; retry on our own too.
      phase = "error";
      ended = false;
      ui.errorText.textContent = `${text} Retrying in ${Math.round(delay / 1000)} s…`;
      retryButton.hidden = false;
      dropTracks();
      hooks.onPeople(null);
    } else {
      phase = "reconnecting";
      statusText = "Reconnecting…";
    }
    render();
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
  }

  retryButton.addEventListener("click", () => {
    failures = 0;
    phase = "connecting";
    statusText = "Connecting…";
    render();
    connect();
  });

  async function fetchToken(attempt) {
    let result;
    try {
      // The first call gets the answer to the page's preload of this URL (channel.html), as
      // long as request() keeps the same-origin credentials the preload's `crossorigin` means.
      result = await request(page.urls.token);
    } catch {
      if (attempt === generation) retryLater("Could not reach the server.", true);
      return null;
    }
    if (attempt !== generation) return null;
    if (result.ok && result.data.token && result.data.ws_url) return result.data;
    if (result.status === 403 || result.status === 404) {
      const text = detailOf(result, "This stream is not available.");
      showError(text, false);
      if (result.status === 403) hooks.onExcluded(text);
      return null;
    }
    retryLater(detailOf(result, "The server could not let you in."), true);
    return null;
  }

  function leave() {
    const old = room;
    room = null;
    dropTracks();
    if (old) old.disconnect();
  }

  async function connect() {
    clearTimeout(retryTimer);
    // A newer attempt (the retry button, a timer) makes every older one stand down.
    const attempt = ++generation;
    leave();
    const grant = await fetchToken(attempt);
    if (!grant || attempt !== generation) return;
    performance.mark("player:token");
    hooks.onGrant(grant);
    const next = new Room({ adaptiveStream: false, dynacast: false });
    room = next;
    listen(next);
    try {
      // The chat embed is in the room for its messages only: it receives no video.
      await next.connect(grant.ws_url, grant.token, { autoSubscribe: page.embed !== "chat" });
      performance.mark("player:connected");
    } catch {
      if (room === next) {
        room = null;
        retryLater("Could not connect to the stream.", false);
      }
      return;
    }
    if (room === next) joined(next);
  }

  function joined(current) {
    entered.add(current);
    failures = 0;
    phase = "connected";
    // A host who was already publishing may have been subscribed before our listeners ran.
    for (const participant of current.remoteParticipants.values()) {
      for (const publication of participant.trackPublications.values()) {
        if (publication.track && publication.isSubscribed) {
          onSubscribed(publication.track, publication, participant);
        }
      }
    }
    render();
    hooks.onPeople(current);
    hooks.onConnected();
  }

  function listen(current) {
    // Every handler ignores a room that has since been replaced by a fresh connection.
    const on = (event, handler) =>
      current.on(event, (...args) => {
        if (room === current) handler(...args);
      });
    const people = () => {
      render();
      hooks.onPeople(current);
    };
    on(RoomEvent.TrackSubscribed, (track, publication, participant) =>
      onSubscribed(track, publication, participant),
    );
    on(RoomEvent.TrackUnsubscribed, (track) => onUnsubscribed(track));
    on(RoomEvent.TrackPublished, render);
    on(RoomEvent.TrackUnpublished, render);
    on(RoomEvent.ParticipantConnected, people);
    on(RoomEvent.ParticipantDisconnected, (participant) => {
      if (participant.identity === publisher) dropTracks();
      people();
    });
    on(RoomEvent.ParticipantMetadataChanged, people);
    on(RoomEvent.ParticipantNameChanged, people);
    const reconnecting = () => {
      phase = "reconnecting";
      statusText = "Reconnecting…";
      render();
    };
    // A lost signal connection is tried first on its own (SignalReconnecting), for up to
    // ~15 s before a full Reconnecting: the video is frozen meanwhile, so say so at once.
    on(RoomEvent.SignalReconnecting, reconnecting);
    on(RoomEvent.Reconnecting, reconnecting);
    on(RoomEvent.Reconnected, () => {
      phase = "connected";
      render();
      hooks.onPeople(current);
      hooks.onConnected();
    });
    on(RoomEvent.Disconnected, (reason) => {
      // A failed connect() is handled where it is awaited; this is for a room we were in.
      if (!entered.has(current)) return;
      room = null;
      dropTracks();
      if (reason === DisconnectReason.CLIENT_INITIATED) return;
      const final = FINAL.get(reason);
      if (final) {
        showError(final.text, Boolean(final.retry), Boolean(final.ended));
        if (final.excluded) hooks.onExcluded(final.text);
      } else {
        hooks.onPeople(null);
        retryLater("Lost the connection to the stream.", false);
      }
    });
    on(RoomEvent.DataReceived, (payload, participant, _kind, topic) => {
      // Only the server (no participant) speaks for the chat; viewers cannot publish data,
      // and anything else in the room is not ours to trust.
      if (participant || topic !== "chat") return;
      let message;
      try {
        message = JSON.parse(new TextDecoder().decode(payload));
      } catch {
        return;
      }
      if (message && typeof message === "object") hooks.onData(message);
    });
  }

  applySound();
  render();
  connect();
}
