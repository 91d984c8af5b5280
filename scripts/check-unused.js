#!/usr/bin/env node
// Runs knip (unused files, exports, types and dependencies; config in knip.jsonc) and fails on
// any issue that is not in knip-known-issues.json. That list is temporary: it holds what was
// there when the check was added (issue 13), so the check could pass while the layers move, and
// it only ever shrinks. `--update` rewrites it from the current findings (use it to remove
// entries once fixed, not to hide new ones).
//
// knip has no baseline of its own; per-file ignores in its config would let any new unused export
// in those files through, so the list names each issue (type, file, symbol).
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const KNOWN = `${ROOT}knip-known-issues.json`;

const run = spawnSync(process.execPath, [`${ROOT}node_modules/knip/bin/knip.js`, "--reporter", "json", "--no-progress"], {
  cwd: ROOT,
  encoding: "utf8",
  maxBuffer: 64 * 1024 * 1024,
});
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  process.stderr.write(run.stdout + run.stderr);
  console.error(`check-unused: knip failed (exit ${run.status})`);
  process.exit(2);
}

/** One line per finding: `type file name`. */
const found = new Set();
for (const issue of report.issues ?? []) {
  for (const [type, list] of Object.entries(issue)) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const name = Array.isArray(item) ? item.map((i) => i.name).join("|") : (item.name ?? "");
      found.add(`${type} ${issue.file}${name ? ` ${name}` : ""}`);
    }
  }
}
for (const f of report.files ?? []) found.add(`files ${f}`);

if (process.argv.includes("--update")) {
  writeFileSync(KNOWN, `${JSON.stringify([...found].sort(), null, 2)}\n`);
  console.log(`check-unused: ${found.size} known issue(s) written to knip-known-issues.json`);
  process.exit(0);
}

const known = new Set(JSON.parse(readFileSync(KNOWN, "utf8")));
const added = [...found].filter((f) => !known.has(f)).sort();
const gone = [...known].filter((f) => !found.has(f)).sort();
if (gone.length > 0) {
  console.log(`check-unused: ${gone.length} known issue(s) fixed; remove them from knip-known-issues.json:`);
  for (const g of gone) console.log(`  ${g}`);
}
if (added.length > 0) {
  console.error(`check-unused: ${added.length} new issue(s) found by knip (unused exports, files or dependencies):`);
  for (const a of added) console.error(`  ${a}`);
  process.exit(1);
}
console.log(`check-unused: no new issues (${known.size - gone.length} known, listed in knip-known-issues.json)`);
