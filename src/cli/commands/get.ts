/** `hush get FILE PATH`: one value, decrypted alone (the library's `get()`), printed for a shell. */
import { HushError } from "../../errors.js";
import { isFormatName, load } from "../../lib/internal.js";
import type { SecretValue } from "../../lib/index.js";
import { commandConfig, type ConfigFlags } from "../common.js";
import { parseDecryptionOrder } from "./decrypt.js";

interface GetFlags extends ConfigFlags {
  json?: boolean;
  inputType?: string;
  ignoreMac?: boolean;
  decryptionOrder?: string;
}

export async function runGet(file: string, path: string, flags: GetFlags): Promise<void> {
  const order = parseDecryptionOrder(flags.decryptionOrder ?? process.env["SOPS_DECRYPTION_ORDER"]);
  await commandConfig(flags, false); // an explicit --config must still be valid
  const secrets = await load(file, {
    ...(flags.inputType && isFormatName(flags.inputType) ? { format: flags.inputType } : {}),
    ...(flags.ignoreMac ? { ignoreMac: true } : {}),
    ...(order ? { decryptionOrder: order } : {}),
  });
  try {
    if (!secrets.has(path)) {
      throw new HushError("PATH_NOT_FOUND", `${JSON.stringify(path)} not found in ${file}`);
    }
    const value = secrets.get(path)!;
    const out = typeof value === "string" && !flags.json ? value : toJson(value, 0);
    process.stdout.write(`${out}\n`);
  } finally {
    secrets.dispose();
  }
}

/**
 * JSON for a decrypted value: as `JSON.stringify` with 2-space indent, but integers beyond 2^53
 * (bigint) keep their digits and timestamps print as ISO strings.
 */
function toJson(v: SecretValue, depth: number): string {
  if (v === null) return "null";
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (typeof v !== "object") return JSON.stringify(v) ?? "null";
  const pad = "  ".repeat(depth + 1);
  const end = "  ".repeat(depth);
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[\n${v.map((x) => pad + toJson(x, depth + 1)).join(",\n")}\n${end}]`;
  }
  const entries = Object.entries(v);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, x]) => `${pad}${JSON.stringify(k)}: ${toJson(x, depth + 1)}`).join(",\n")}\n${end}}`;
}
