// Running sops's own Go decryption (test/sopslib, see its README) from tests: whether it can run
// here, and decrypting one file with it. Used by the dotenv and layout "sops reads what hush
// writes" tests.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers.js";

const SOPSLIB = join(ROOT, "test", "sopslib");

/** Why sopslib cannot run here, or undefined when it can (its setup is cached after the first run). */
export function sopslibUnavailable(): string | undefined {
  if (!existsSync(join(SOPSLIB, "decrypt.sh"))) return "test/sopslib is not in this tree";
  if (process.platform !== "linux") return "sopslib needs Linux namespaces";
  if (process.getuid?.() !== 0) return "sopslib needs root (unshare -n -m)";
  for (const tool of ["unshare", "unzip", "openssl"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `sopslib needs ${tool}`;
  }
  const setup = spawnSync("bash", [join(SOPSLIB, "setup.sh")], { encoding: "utf8", timeout: 240_000 });
  if (setup.status !== 0) return `sopslib setup failed: ${(setup.stderr || "").trim().split("\n").pop()}`;
  return undefined;
}

/** What sopslib reports: SUCCESS or FAILED, sops's error text, the decrypted tree as JSON text. */
export interface SopslibResult {
  status?: string;
  reason?: string;
  secretString?: string;
}

/** sops's library decrypts `file` (yaml, json, dotenv, binary) with the age keys in `keyFile`. */
export function sopslibDecrypt(file: string, format: string, keyFile: string): SopslibResult {
  const r = spawnSync("bash", [join(SOPSLIB, "decrypt.sh"), file, format, keyFile], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`sopslib did not run: ${r.stderr.trim().split("\n").pop()}`);
  return JSON.parse(r.stdout) as SopslibResult;
}
