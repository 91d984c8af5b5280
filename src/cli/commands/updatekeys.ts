/**
 * `hush updatekeys FILE|DIR…`: make each file's recipients match `.sops.yaml`. Shows what is added
 * and removed, asks before writing (`--yes` to skip), then updates the files in parallel with a
 * bounded number in flight, reporting each file.
 */
import { relative } from "node:path";
import { createInterface } from "node:readline";
import { HushError } from "../../errors.js";
import { DEFAULT_JOBS, formatNameForPath, isFormatName, mapLimit, readInput, replaceRegularFile, rotateText, updateKeysSession, updateKeysText, writeFileAtomic, type FormatName } from "../../lib/internal.js";
import { withFileLock } from "../../lib/internal.js";
import { collectEncryptedTexts, modeIfUnchanged, progress, readTextWithIdentity, type ReadText } from "../bulk.js";

interface Flags {
  yes?: boolean;
  jobs?: string;
  inputType?: string;
  config?: string;
  shamirSecretSharingThreshold?: string;
  rotate?: boolean;
}

function describe(added: string[], removed: string[]): string {
  const parts = [...added.map((a) => `+ ${a}`), ...removed.map((r) => `- ${r}`)];
  return parts.length > 0 ? parts.join(", ") : "no change";
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new HushError("USAGE", "standard input is not a terminal: pass --yes to apply the changes without asking");
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve));
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

export async function runUpdatekeys(paths: string[], flags: Flags): Promise<void> {
  const jobs = flags.jobs ? Number(flags.jobs) : DEFAULT_JOBS;
  if (!Number.isInteger(jobs) || jobs < 1) throw new HushError("USAGE", "--jobs takes a whole number ≥ 1");
  const { files, texts } = await collectEncryptedTexts(paths);
  if (files.length === 0) throw new HushError("NO_FILE", "no encrypted files found");
  const format = (f: string): FormatName => (flags.inputType && isFormatName(flags.inputType) ? flags.inputType : formatNameForPath(f));
  const threshold = flags.shamirSecretSharingThreshold ? Number(flags.shamirSecretSharingThreshold) : undefined;
  const common = {
    ...(flags.config ? { configPath: flags.config } : {}),
    ...(threshold ? { shamirThreshold: threshold } : {}),
  };
  const show = (f: string) => relative(process.cwd(), f) || f;
  // One .sops.yaml read, one keyring, each recipient parsed once, for all the files.
  const session = updateKeysSession(common);
  const read = async (f: string): Promise<ReadText> => {
    try {
      return readTextWithIdentity(f);
    } catch {
      // The usual error for the path (not found, a directory, unreadable).
      return { text: (await readInput(f)).toString("utf8"), id: { dev: -1n, ino: -1n, size: -1n, mtimeNs: -1n, ctimeNs: -1n } };
    }
  };

  // 1. Work out the changes (no key needed).
  const plans = await mapLimit(files, jobs, async (f) => {
    const r = texts.get(f) ?? (await read(f));
    texts.set(f, r);
    return updateKeysText(f, r.text, { format: format(f), dryRun: true, session, ...common });
  });
  const todo: string[] = [];
  let failed = 0;
  plans.forEach((p, i) => {
    const f = files[i]!;
    if (p.status === "rejected") {
      failed++;
      process.stderr.write(`${show(f)}: error: ${p.reason instanceof HushError ? p.reason.message : "unexpected failure"}\n`);
    } else if (p.value.text === undefined) process.stdout.write(`${show(f)}: up to date\n`);
    else {
      todo.push(f);
      process.stdout.write(`${show(f)}: ${describe(p.value.added, p.value.removed)}\n`);
    }
  });
  if (todo.length > 0 && !flags.yes) {
    if (!(await confirm(`Update the keys of ${todo.length} file${todo.length === 1 ? "" : "s"}?`))) {
      process.stderr.write("hush: nothing written\n");
      return;
    }
    // Time has passed while the question was open: apply to the files as they are now.
    texts.clear();
  }

  // 2. Apply, in parallel, bounded; a progress line on a terminal.
  const bar = progress(todo.length, "updated");
  const results = await mapLimit(todo, jobs, async (f) => {
    try {
      return await withFileLock(f, async () => {
        // Under the lock: the text the plan saw, unless the file has changed since (then read again).
        const seen = texts.get(f);
        texts.delete(f);
        // One lstat: the same file as read (its mode then known to the writer), else read again.
        const mode = seen ? modeIfUnchanged(f, seen.id) : undefined;
        const text = seen && mode !== undefined ? seen.text : (await readInput(f)).toString("utf8");
        const r = await updateKeysText(f, text, { format: format(f), session, ...common });
        if (r.text === undefined) return r;
        // Someone removed still holds the data key (in their copy of the file, in git history):
        // with --rotate the values get a new data key, wrapped for the new recipients only.
        const out = flags.rotate && r.removed.length > 0 ? (await rotateText(r.text, { format: format(f), keyring: session.keyring })).text : r.text;
        await (mode !== undefined ? replaceRegularFile(f, out, mode) : writeFileAtomic(f, out));
        return r;
      });
    } finally {
      bar.tick();
    }
  });
  bar.end();
  results.forEach((r, i) => {
    const f = todo[i]!;
    if (r.status === "rejected") {
      failed++;
      process.stderr.write(`${show(f)}: error: ${r.reason instanceof HushError ? r.reason.message : "unexpected failure"}\n`);
    } else process.stdout.write(`${show(f)}: updated\n`);
  });
  const exposed = results.filter((r) => r.status === "fulfilled" && r.value.removed.length > 0).length;
  if (exposed > 0) {
    const n = `${exposed} file${exposed === 1 ? "" : "s"}`;
    if (flags.rotate) process.stderr.write(`hush: rotated the data key of ${n}: removed recipients cannot read the new ciphertext\n`);
    else
      process.stderr.write(
        `hush: warning: removed recipients can still read the old and current values of ${n}: the data key is unchanged. ` +
          `Rotate it with \`hush updatekeys --rotate\` (or \`hush rotate -i FILE\`), and change the secrets they have seen.\n`,
      );
  }
  if (failed > 0) throw new HushError("GENERIC", `failed updating ${failed} file${failed === 1 ? "" : "s"}`);
}
