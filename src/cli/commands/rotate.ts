/** `hush rotate`: a new data key, every value re-encrypted, recipients optionally changed. */
import { HushError } from "../../errors.js";
import { rotateText, type KeyKind } from "../../lib/internal.js";
import { rotateFlagOptions } from "../../lib/key-services.js";
import { commandConfig, readInputFile, writeOutput, type ConfigFlags, type IoOptions } from "../common.js";

export async function runRotate(file: string, flags: IoOptions & ConfigFlags & Record<string, unknown>): Promise<void> {
  // The file's recipients and layout are kept: nothing is read from .sops.yaml, but an explicit
  // --config must still be valid, as in sops.
  await commandConfig(flags, false);
  const add: { kind: KeyKind; spec: string }[] = [];
  const remove: { kind: KeyKind; label: string }[] = [];
  const list = (v: unknown) => (typeof v === "string" ? v.split(",").map((s) => s.trim()).filter(Boolean) : []);
  for (const o of rotateFlagOptions()) {
    for (const spec of list(flags[o.add.attribute])) add.push({ kind: o.add.kind, spec });
    for (const label of list(flags[o.rm.attribute])) remove.push({ kind: o.rm.kind, label });
  }
  const input = await readInputFile(file, flags);
  if (input.path === "-") throw new HushError("USAGE", "rotate needs a file");
  const res = await rotateText(input.data, {
    format: input.format,
    add,
    remove,
    path: input.path,
    ...(typeof flags["config"] === "string" ? { configPath: flags["config"] } : {}),
    ...(flags["dropUnknownRecipients"] ? { dropUnknownRecipients: true } : {}),
    warn: (m) => process.stderr.write(`hush: warning: ${input.path}: ${m}\n`),
    ...(flags["ignoreMac"] ? { ignoreMac: true } : {}),
  });
  await writeOutput(input, flags, res.text);
  if (res.removed.length > 0) process.stderr.write(`hush: removed ${res.removed.join(", ")}\n`);
  if (res.dropped.length > 0) process.stderr.write(`hush: dropped ${res.dropped.join(", ")} (not named by .sops.yaml)\n`);
}
