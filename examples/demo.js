#!/usr/bin/env node
// `npm run demo`: a throwaway age key in a temp dir, then encrypt and decrypt the files in
// examples/ with the real CLI. Needs no cloud account and touches nothing outside the temp dir.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const hush = join(here, "..", "bin", "hush.js");
const dir = mkdtempSync(join(tmpdir(), "hush-demo-"));
const env = { ...process.env, SOPS_AGE_KEY_FILE: join(dir, "keys.txt"), XDG_CONFIG_HOME: dir };
delete env.SOPS_AGE_KEY;
delete env.SOPS_AGE_KEY_CMD;
delete env.SOPS_AGE_RECIPIENTS;

const run = (args, input) => execFileSync(process.execPath, [hush, ...args], { env, input, encoding: "utf8", stdio: ["pipe", "pipe", "inherit"] });
const rule = (title) => console.log(`\n\x1b[1m== ${title}\x1b[0m`);

try {
  rule("hush keygen -o <tmp>/keys.txt (a throwaway age identity)");
  const recipient = run(["keygen", "-o", env.SOPS_AGE_KEY_FILE]).trim();
  console.log(`public key: ${recipient}`);

  for (const name of ["secrets.yaml", "config.json"]) {
    const plain = join(here, name);
    const enc = join(dir, name.replace(/\.(\w+)$/, ".enc.$1"));
    rule(`hush encrypt --age ${recipient.slice(0, 12)}… examples/${name}`);
    writeFileSync(enc, run(["encrypt", "--age", recipient, plain]));
    console.log(readFileSync(enc, "utf8"));
    rule(`hush decrypt ${name.replace(/\.(\w+)$/, ".enc.$1")}`);
    const back = run(["decrypt", enc]);
    console.log(back);
    const same = back === readFileSync(plain, "utf8");
    console.log(same ? "round trip: identical to the original, byte for byte" : "round trip: differs from the original");
    if (!same) process.exitCode = 1;
  }
  rule(`hush decrypt --extract '["database"]["password"]' secrets.enc.yaml`);
  console.log(run(["decrypt", "--extract", '["database"]["password"]', join(dir, "secrets.enc.yaml")]));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
