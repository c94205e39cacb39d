// Builds static/js/channel.js (`npm run build`): esbuild, with two fixes to livekit-client's
// connection path applied as it is bundled. livekit-client is pinned (package.json), and each
// fix must match its code exactly once, so a new version stops the build until the fixes are
// checked against it: dropped if upstream fixed the delay, rewritten if the code moved.

import { readFile } from "node:fs/promises";
import { build } from "esbuild";

const LIVEKIT = /[\\/]livekit-client[\\/]dist[\\/]livekit-client\.esm\.mjs$/;

const FIXES = [
  {
    // The first offer travels with the join request and is answered right after it, yet
    // room.connect() then asked for a negotiation because the connection was not up yet:
    // one more offer/answer round, on the main thread while the video starts. An offer
    // still waiting for its answer is negotiation enough.
    find:
      "if (this.isPublisherConnectionRequired && this.publisher.getConnectionState() !== 'connected' && this.publisher.getConnectionState() !== 'connecting') {",
    replace:
      "if (this.isPublisherConnectionRequired && this.publisher.getConnectionState() !== 'connected' && this.publisher.getConnectionState() !== 'connecting' && !(this.publisher.pendingInitialOffer || this.publisher._pc?.signalingState === 'have-local-offer')) {",
  },
  {
    // room.connect() noticed the peer connection was up by polling it every 50 ms (upstream
    // marks it FIXME): up to 50 ms more before the host's tracks are handed to the player.
    find: "yield sleep(50); // FIXME we shouldn't rely on `sleep` in the connection paths",
    replace: "yield sleep(5); // FIXME we shouldn't rely on `sleep` in the connection paths",
  },
];

function applyFixes(source) {
  for (const { find, replace } of FIXES) {
    const found = source.split(find).length - 1;
    if (found !== 1) {
      throw new Error(`livekit-client fix matched ${found} times, not once: ${find}`);
    }
    source = source.replace(find, replace);
  }
  return source;
}

const livekitFixes = {
  name: "livekit-client-fixes",
  setup(bundle) {
    bundle.onLoad({ filter: LIVEKIT }, async ({ path }) => ({
      contents: applyFixes(await readFile(path, "utf8")),
      loader: "js",
    }));
  },
};

await build({
  entryPoints: ["frontend/channel/main.js"],
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  legalComments: "none",
  outfile: "static/js/channel.js",
  plugins: [livekitFixes],
  logLevel: "info",
});
