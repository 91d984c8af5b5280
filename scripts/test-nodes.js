#!/usr/bin/env node
// `npm test` (after `npm run build`): the whole vitest suite on every Node version hush supports,
// one after the other: the machine's Node, then Node 22 and 24 (scripts/nodes.js: pinned, from
// the npm registry, installed once into ~/.cache/hush-ci). The build is made once, by the
// machine's Node: its output is the same for every version; only the V8 code cache is per Node,
// and bin/hush.js makes one in the user's cache directory for a Node it was not built with.
//
// - Each run starts with a banner and `node --version`, so the log names the version of every
//   result; a summary with each version's result and time closes the log.
// - Each run has that Node first in PATH (tests that start `node` by name get it too), and the
//   GitHub Action's tests run its bundle with the Node action.yml declares (HUSH_ACTION_NODE),
//   whichever Node runs vitest; that Node must be among the ones tested.
// - A failure on any version fails the whole run (exit 1), after all versions have run.
// - Arguments go to vitest: `npm test -- test/age.test.ts`. HUSH_TEST_NODES=current runs on the
//   machine's Node only (`current,24`, `22`: see scripts/nodes.js).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { selectedNodes, versionOf } from "./nodes.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const VITEST = join(ROOT, "node_modules", "vitest", "vitest.mjs");
const args = process.argv.slice(2);

const declared = /^\s*using:\s*node(\d+)\s*$/m.exec(readFileSync(join(ROOT, ".github", "actions", "decrypt", "action.yml"), "utf8"))?.[1];
if (!declared) throw new Error("test-nodes: .github/actions/decrypt/action.yml declares no `using: nodeNN`");

const nodes = selectedNodes();
const actionNode = nodes.find((n) => versionOf(n.node)?.startsWith(`v${declared}.`));
if (!actionNode) {
  if (!process.env.HUSH_TEST_NODES) {
    console.error(`test-nodes: action.yml declares node${declared}, which is not among the versions tested`);
    process.exit(1);
  }
  console.error(`test-nodes: note: action.yml declares node${declared}, not selected by HUSH_TEST_NODES; the Action's tests run under each run's own Node`);
}

const results = [];
for (const { label, node } of nodes) {
  const version = versionOf(node);
  console.log(`\n==================== Node ${version} — ${label} ====================`);
  console.log(`$ ${node} --version\n${version}`);
  const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ""}` };
  if (actionNode) env.HUSH_ACTION_NODE = actionNode.node;
  const t0 = performance.now();
  const r = spawnSync(node, [VITEST, "run", ...args], { cwd: ROOT, env, stdio: "inherit" });
  const seconds = (performance.now() - t0) / 1000;
  results.push({ version, ok: r.status === 0, status: r.status ?? r.signal ?? r.error?.message, seconds });
  console.log(`==================== Node ${version}: ${r.status === 0 ? "passed" : `FAILED (${results.at(-1).status})`} in ${seconds.toFixed(0)} s ====================`);
}

console.log("\nTest suite per Node version:");
for (const r of results) console.log(`  Node ${r.version.padEnd(9)} ${r.ok ? "passed" : `FAILED (${r.status})`}  ${r.seconds.toFixed(0)} s`);
if (actionNode) console.log(`  (the GitHub Action's bundle ran under Node ${versionOf(actionNode.node)}, as action.yml's node${declared})`);
if (results.some((r) => !r.ok)) process.exit(1);
