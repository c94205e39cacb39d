// Builds static/js/ (`npm run build`), which holds only what this writes: the bundles made by
// esbuild, channel.js from channel/ (with livekit-client) and the modules it loads only when
// first used in static/js/channel/ (see leaveLazy below), video.js from video/ (with hls.js)
// and analytics.js from analytics/ (with uPlot, whose stylesheet esbuild writes beside it as
// analytics.css), each with the licences of the packages in it beside it
// (<bundle>.LICENSE.txt), and the page scripts that need no bundling (live.js, keys.js,
// dashboard.js) minified by esbuild, each still a classic script of its own.
//
// livekit-client is bundled with the fixes in patches/ (README.md here says what each fixes).
// patch-package applies them to node_modules when npm installs; this build then fails unless
// the livekit-client code it bundles is patched as the patches say, so a bundle without them
// cannot ship: not after a new version, nor when esbuild resolves another file.

import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { basename, relative, resolve } from "node:path";
import { build, transform } from "esbuild";

const OUT = "static/js";
const MINIFIED = ["live.js", "keys.js", "dashboard.js"];
const PATCHES = "frontend/patches";
const LIVEKIT = /[\\/]node_modules[\\/]livekit-client[\\/]/;
// Each bundle: its entry point, and the package whose code (with its dependencies') it takes;
// `lazy`: the folder, beside the bundle, of the modules it imports with import().
const BUNDLES = [
  { name: "channel.js", entry: "frontend/channel/main.js", root: "livekit-client", lazy: "channel" },
  { name: "video.js", entry: "frontend/video/main.js", root: "hls.js" },
  { name: "analytics.js", entry: "frontend/analytics/main.js", root: "uplot" },
];

// Each patched file's hunks, as the text before the patch and the text after it.
async function readPatches() {
  const files = new Map();
  for (const name of (await readdir(PATCHES)).filter((n) => n.endsWith(".patch"))) {
    let hunks;
    for (const line of (await readFile(`${PATCHES}/${name}`, "utf8")).split("\n")) {
      const [mark, text] = [line[0], line.slice(1)];
      if (line.startsWith("+++ b/")) {
        hunks = [];
        files.set(resolve(line.slice("+++ b/".length)), { patch: name, hunks });
      } else if (hunks && line.startsWith("@@")) {
        hunks.push({ before: [], after: [] });
      } else if (hunks?.length && (mark === " " || mark === "-" || mark === "+")) {
        const hunk = hunks.at(-1);
        if (mark !== "+") hunk.before.push(text);
        if (mark !== "-") hunk.after.push(text);
      }
    }
  }
  return files;
}

// Fails unless each patched file was bundled with each hunk patched once and never unpatched.
function checkPatched(patches, bundled) {
  for (const [path, { patch, hunks }] of patches) {
    if (!bundled.has(path)) {
      throw new Error(`${patch}: ${path} was not bundled, so its fixes are not in the bundle`);
    }
    const source = `\n${bundled.get(path)}`;
    const count = (lines) => source.split(`\n${lines.join("\n")}\n`).length - 1;
    for (const { before, after } of hunks) {
      if (count(after) !== 1 || count(before) !== 0) {
        const where = after.find((line, i) => line !== before[i])?.trim();
        throw new Error(`${patch} is not applied (run npm ci): not patched at "${where}"`);
      }
    }
  }
}

// Keeps the text of every livekit-client file the bundle takes, exactly as esbuild reads it.
function recordLivekit(bundled) {
  return {
    name: "record-livekit-client",
    setup(bundle) {
      bundle.onLoad({ filter: LIVEKIT }, async ({ path }) => {
        const contents = await readFile(path, "utf8");
        bundled.set(resolve(path), contents);
        return { contents, loader: "default" };
      });
    },
  };
}

// livekit-client's published build inlines its dependencies' code without their licence
// comments, so esbuild's legalComments finds none to keep: the licences of the packages a
// bundle may contain (its root package and every package that one depends on, as
// package-lock.json lists them) go in a file beside it instead.
async function notices(bundle) {
  const lock = JSON.parse(await readFile("package-lock.json", "utf8"));
  const taken = dependencies(lock, bundle.root);
  const sections = [];
  for (const folder of Object.keys(lock.packages)) {
    if (!taken.has(folder)) continue;
    const { name, version, license } = JSON.parse(await readFile(`${folder}/package.json`));
    const file = (await readdir(folder)).find((f) => /^(licen[cs]e|copying)/i.test(f));
    const text = file ? await readFile(`${folder}/${file}`, "utf8") : await copyrights(folder);
    sections.push(`${name} ${version}, licence ${license}\n\n${text.trim()}\n`);
  }
  const rule = `\n${"-".repeat(78)}\n\n`;
  return `Third-party software in ${bundle.name}, with its licences.\n\n${sections.join(rule)}`;
}

// The node_modules folders of `root` and of everything it depends on, however deep.
function dependencies(lock, root) {
  const found = new Set();
  const visit = (name) => {
    const folder = `node_modules/${name}`;
    if (found.has(folder) || !lock.packages[folder]) return;
    found.add(folder);
    const entry = lock.packages[folder];
    const kinds = [entry.dependencies, entry.optionalDependencies, entry.peerDependencies];
    for (const dependency of kinds.flatMap((names) => Object.keys(names || {}))) {
      visit(dependency);
    }
  };
  visit(root);
  return found;
}

// A package without a licence file (@bufbuild/protobuf) states it in its sources' headers:
// each distinct comment block that opens with a copyright, up to its last word on the licence.
async function copyrights(folder) {
  const blocks = new Set();
  for (const file of await readdir(folder, { recursive: true })) {
    if (!/\.m?js$/.test(file) || file.includes("node_modules")) continue;
    const source = await readFile(`${folder}/${file}`, "utf8");
    for (const [block] of source.matchAll(/(?:^[ \t]*\/\/.*\n)+|\/\*[\s\S]*?\*\//gm)) {
      const lines = block.trim().split("\n").map((line) => line.trim());
      const end = lines.findLastIndex((line) => /licen[cs]e|damage/i.test(line));
      if (/^\W*copyright/i.test(lines[0])) blocks.add(lines.slice(0, end + 1).join("\n"));
    }
  }
  return [...blocks].sort().join("\n\n");
}

// What the first frame does not need (the chatter card, the emote picker, raids, ...) a bundle
// imports with import(): each such module is left out of the bundle and built, with what it
// imports, into `lazy`/<name>-<hash>.js (esbuild's code splitting among them: what two share
// is a chunk of its own), so the bundle stays one file, whose first request brings all the
// first frame needs. Splitting the bundle itself with them would move what it shares with
// them (dom.js and the like) into chunks it imports: more requests before the player starts,
// and bytes of glue. Their names carry their content's hash, so a build never reuses one.
function leaveLazy(bundle, lazy) {
  return {
    name: "leave-lazy-modules",
    setup(build) {
      build.onResolve({ filter: /^\./, namespace: "file" }, ({ kind, path, resolveDir }) => {
        if (kind !== "dynamic-import") return undefined;
        const source = resolve(resolveDir, path);
        const placeholder = `./${bundle.lazy}/${basename(source)}`;
        lazy.set(placeholder, source);
        return { path: placeholder, external: true };
      });
    },
  };
}

// Builds the modules `lazy` maps (placeholder -> source) and puts their built names in place
// of the placeholders in the bundle's `outputFiles`.
async function buildLazy(bundle, lazy, outputFiles) {
  if (!lazy.size) return [];
  const { outputFiles: files, metafile } = await build({
    entryPoints: [...new Set(lazy.values())],
    bundle: true,
    splitting: true,
    format: "esm",
    minify: true,
    target: "es2020",
    legalComments: "none",
    outdir: `${OUT}/${bundle.lazy}`,
    entryNames: "[name]-[hash]",
    chunkNames: "chunk-[hash]",
    metafile: true,
    write: false,
  });
  const built = new Map(
    Object.entries(metafile.outputs)
      .filter(([, output]) => output.entryPoint)
      .map(([path, output]) => [resolve(output.entryPoint), `./${relative(OUT, path)}`]),
  );
  for (const file of outputFiles) {
    let text = file.text;
    for (const [placeholder, source] of lazy) {
      const parts = text.split(JSON.stringify(placeholder));
      if (parts.length !== 2) {
        throw new Error(`${bundle.name}: import("${placeholder}") found ${parts.length - 1} times`);
      }
      text = parts.join(JSON.stringify(built.get(source)));
    }
    file.contents = new TextEncoder().encode(text);
  }
  return files;
}

const patches = await readPatches();
const bundled = new Map();
const built = [];
for (const bundle of BUNDLES) {
  const noticesName = `${bundle.name}.LICENSE.txt`;
  const lazy = new Map(); // placeholder path -> source, of each module imported with import()
  const { outputFiles } = await build({
    entryPoints: [bundle.entry],
    bundle: true,
    format: "esm",
    minify: true,
    target: "es2020",
    legalComments: "none",
    banner: {
      js: `/*! Licences of ${bundle.root} and the other packages bundled here: ${noticesName} */`,
      css: `/*! Licences of ${bundle.root} and the other packages bundled here: ${noticesName} */`,
    },
    outfile: `${OUT}/${bundle.name}`,
    plugins: [recordLivekit(bundled), ...(bundle.lazy ? [leaveLazy(bundle, lazy)] : [])],
    write: false, // written once every bundle is known to have the fixes it needs
  });
  const lazyFiles = await buildLazy(bundle, lazy, outputFiles);
  built.push({ bundle, noticesName, outputFiles, lazyFiles });
}
checkPatched(patches, bundled);
for (const { bundle, noticesName, outputFiles, lazyFiles } of built) {
  if (bundle.lazy) {
    await rm(`${OUT}/${bundle.lazy}`, { recursive: true, force: true });
    await mkdir(`${OUT}/${bundle.lazy}`);
  }
  for (const { path, contents } of [...outputFiles, ...lazyFiles]) {
    await writeFile(path, contents);
  }
  await writeFile(`${OUT}/${noticesName}`, await notices(bundle));
}
for (const name of MINIFIED) {
  const source = await readFile(`frontend/${name}`, "utf8");
  const { code } = await transform(source, { minify: true, target: "es2020", legalComments: "none" });
  await writeFile(`${OUT}/${name}`, code);
}
const applied = [...patches.values()].map(({ patch }) => patch).join(", ");
const names = built.map(({ bundle, outputFiles, lazyFiles, noticesName }) =>
  [
    ...outputFiles.map(({ path }) => basename(path)),
    noticesName,
    ...(lazyFiles.length ? [`${bundle.lazy}/ (${lazyFiles.length} modules loaded when used)`] : []),
  ].join(", "),
);
console.log(`${OUT}/: ${names.join(", ")} (channel.js with ${applied}), ${MINIFIED.join(", ")}`);
