/**
 * `hush rotate FILE|DIR…`: a new data key, every value re-encrypted, recipients optionally changed.
 * One file prints its result (or writes it with -i/-o), as sops; several files or a directory are
 * rotated in place, a bounded number at once, each reported, with a progress line on a terminal.
 */
import { relative } from "node:path";
import { HushError } from "../../errors.js";
import { DEFAULT_JOBS, Keyring, formatNameForPath, isFormatName, mapLimit, parseKmsContext, replaceRegularFile, rotateText, specsFromString, updateKeysSession, withFileLock, writeFileAtomic, type KeyKind } from "../../lib/internal.js";
import { rotateFlagOptions } from "../../lib/key-services.js";
import { collectEncryptedTexts, modeIfUnchanged, progress } from "../bulk.js";
import { commandConfig, readInputFile, writeOutput, type ConfigFlags, type IoOptions } from "../common.js";
import { parseDecryptionOrder } from "./decrypt.js";
import { parseJobs } from "./invite.js";

type RotateFlags = IoOptions & ConfigFlags & Record<string, unknown>;

export async function runRotate(paths: string[], flags: RotateFlags): Promise<void> {
  // The file's recipients and layout are kept: nothing is read from .sops.yaml, but an explicit
  // --config must still be valid, as in sops.
  await commandConfig(flags, false);
  const context = parseKmsContext(typeof flags["encryptionContext"] === "string" ? flags["encryptionContext"] : undefined);
  const add: { kind: KeyKind; spec: ReturnType<typeof specsFromString>[number]["spec"] }[] = [];
  const remove: { kind: KeyKind; label: string }[] = [];
  const list = (v: unknown) => (typeof v === "string" ? v.split(",").map((s) => s.trim()).filter(Boolean) : []);
  for (const o of rotateFlagOptions()) {
    const added = flags[o.add.attribute];
    // --encryption-context applies to the --add-kms keys, as in sops.
    if (typeof added === "string" && added.trim() !== "") add.push(...specsFromString(o.add.kind, added, context ? { context } : {}));
    for (const label of list(flags[o.rm.attribute])) remove.push({ kind: o.rm.kind, label });
  }
  const order = parseDecryptionOrder(typeof flags["decryptionOrder"] === "string" ? flags["decryptionOrder"] : process.env["SOPS_DECRYPTION_ORDER"]);
  const keyring = new Keyring(order ? { decryptionOrder: order } : {});
  const options = {
    add,
    remove,
    keyring,
    ...(typeof flags["config"] === "string" ? { configPath: flags["config"] } : {}),
    ...(flags["dropUnknownRecipients"] ? { dropUnknownRecipients: true } : {}),
    ...(flags["ignoreMac"] ? { ignoreMac: true } : {}),
  };
  const warn = (path: string) => (m: string) => process.stderr.write(`hush: warning: ${path}: ${m}\n`);

  if (paths.length === 1 && !(await isDirectory(paths[0]!))) {
    const input = await readInputFile(paths[0]!, flags);
    if (input.path === "-") throw new HushError("USAGE", "rotate needs a file");
    const res = await rotateText(input.data, { format: input.format, path: input.path, warn: warn(input.path), ...options });
    await writeOutput(input, flags, res.text);
    if (res.removed.length > 0) process.stderr.write(`hush: removed ${res.removed.join(", ")}\n`);
    if (res.dropped.length > 0) process.stderr.write(`hush: dropped ${res.dropped.join(", ")} (not named by .sops.yaml)\n`);
    return;
  }

  // Many files: in place only (there is no one place to print them to).
  if (!flags.inPlace) throw new HushError("CONFLICTING_PARAMETERS", "rotate of several files or a directory needs --in-place (-i)");
  if (flags.output) throw new HushError("CONFLICTING_PARAMETERS", "--output takes one file");
  const { files, texts } = await collectEncryptedTexts(paths);
  if (files.length === 0) throw new HushError("NO_FILE", "no encrypted files found");
  // Network-bound (each file unwraps and wraps a key): sized by latency, not cores, as updatekeys.
  const jobs = parseJobs(typeof flags["jobs"] === "string" ? flags["jobs"] : undefined) ?? DEFAULT_JOBS;
  // One .sops.yaml lookup, one keyring, each new recipient (and its KMS client) made once.
  const session = updateKeysSession({ ...(typeof flags["config"] === "string" ? { configPath: flags["config"] } : {}), keyring, warn: () => {} });
  const bar = progress(files.length, "rotated");
  const results = await mapLimit(files, jobs, async (f) => {
    try {
      // The lock is held from before the read to after the write, then released (not kept to exit).
      return await withFileLock(f, async () => {
        const seen = texts.get(f);
        texts.delete(f);
        const format = flags.inputType && isFormatName(flags.inputType) ? flags.inputType : formatNameForPath(f);
        // The text read while collecting, unless the file changed since; binary files go as bytes
        // (their text form is lossy when not UTF-8).
        // One lstat: the same file as read (its mode then known to the writer), else read again.
        const mode = format !== "binary" && seen ? modeIfUnchanged(f, seen.id) : undefined;
        const data = mode !== undefined ? seen!.text : (await readInputFile(f, { ...(flags.inputType ? { inputType: flags.inputType } : {}) })).data;
        const res = await rotateText(data, { format, path: f, warn: warn(f), session, ...options });
        await (mode !== undefined ? replaceRegularFile(f, res.text, mode) : writeFileAtomic(f, res.text));
        return res;
      });
    } finally {
      bar.tick();
    }
  });
  bar.end();
  const show = (f: string) => relative(process.cwd(), f) || f;
  let failed = 0;
  let out = "";
  results.forEach((r, i) => {
    const f = files[i]!;
    if (r.status === "rejected") {
      failed++;
      process.stderr.write(`${show(f)}: error: ${r.reason instanceof HushError ? r.reason.message : "unexpected failure"}\n`);
    } else {
      const notes = [...(r.value.removed.length > 0 ? [`removed ${r.value.removed.join(", ")}`] : []), ...(r.value.dropped.length > 0 ? [`dropped ${r.value.dropped.join(", ")}`] : [])];
      out += `${show(f)}: rotated${notes.length > 0 ? ` (${notes.join("; ")})` : ""}\n`;
    }
  });
  process.stdout.write(out);
  if (failed > 0) throw new HushError("GENERIC", `failed rotating ${failed} of ${files.length} files`);
}

async function isDirectory(p: string): Promise<boolean> {
  if (p === "-") return false;
  try {
    const { stat } = await import("node:fs/promises");
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
