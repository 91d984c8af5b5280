/**
 * `hush updatekeys FILE|DIR…`: make each file's recipients match `.sops.yaml`. Shows what is added
 * and removed, asks before writing (`--yes` to skip), then updates the files in parallel with a
 * bounded number in flight, reporting each file.
 */
import { promises as fsp } from "node:fs";
import { join, relative } from "node:path";
import { createInterface } from "node:readline";
import { HushError } from "../../errors.js";
import { formatNameForPath, isFormatName, mapLimit, readInput, updateKeysText, writeFileAtomic, type FormatName } from "../../lib/internal.js";

interface Flags {
  yes?: boolean;
  jobs?: string;
  inputType?: string;
  config?: string;
  shamirSecretSharingThreshold?: string;
}

const SKIP_DIRS = new Set([".git", "node_modules"]);

/** Files named, with directories expanded to the encrypted files below them. */
async function collect(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string, explicit: boolean): Promise<void> => {
    let st;
    try {
      st = await fsp.stat(p);
    } catch {
      throw new HushError("NO_FILE", `file not found: ${p}`);
    }
    if (st.isDirectory()) {
      const names = (await fsp.readdir(p)).sort();
      for (const n of names) if (!SKIP_DIRS.has(n)) await walk(join(p, n), false);
      return;
    }
    if (explicit) out.push(p);
    else {
      // In a directory, only files that carry sops metadata count.
      const head = (await fsp.readFile(p, "utf8")).slice(-4096);
      if (/sops|"mac"|sops_mac/.test(head)) out.push(p);
    }
  };
  for (const p of paths) await walk(p, true);
  return out;
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
  const jobs = flags.jobs ? Number(flags.jobs) : 8;
  if (!Number.isInteger(jobs) || jobs < 1) throw new HushError("USAGE", "--jobs takes a whole number ≥ 1");
  const files = await collect(paths);
  if (files.length === 0) throw new HushError("NO_FILE", "no encrypted files found");
  const format = (f: string): FormatName => (flags.inputType && isFormatName(flags.inputType) ? flags.inputType : formatNameForPath(f));
  const threshold = flags.shamirSecretSharingThreshold ? Number(flags.shamirSecretSharingThreshold) : undefined;
  const common = {
    ...(flags.config ? { configPath: flags.config } : {}),
    ...(threshold ? { shamirThreshold: threshold } : {}),
  };
  const show = (f: string) => relative(process.cwd(), f) || f;

  // 1. Work out the changes (no key needed).
  const plans = await mapLimit(files, jobs, async (f) => {
    const text = (await readInput(f)).toString("utf8");
    return updateKeysText(f, text, { format: format(f), dryRun: true, ...common });
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
  if (todo.length > 0 && !flags.yes && !(await confirm(`Update the keys of ${todo.length} file${todo.length === 1 ? "" : "s"}?`))) {
    process.stderr.write("hush: nothing written\n");
    return;
  }

  // 2. Apply, in parallel, bounded; a progress bar on a terminal.
  let done = 0;
  const tty = process.stderr.isTTY === true;
  const progress = () => {
    if (!tty) return;
    const width = 30;
    const filled = Math.round((done / todo.length) * width);
    process.stderr.write(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${todo.length}`);
  };
  const results = await mapLimit(todo, jobs, async (f) => {
    const text = (await readInput(f)).toString("utf8");
    const res = await updateKeysText(f, text, { format: format(f), ...common });
    if (res.text !== undefined) await writeFileAtomic(f, res.text);
    done++;
    progress();
    return res;
  });
  if (tty && todo.length > 0) process.stderr.write("\n");
  results.forEach((r, i) => {
    const f = todo[i]!;
    if (r.status === "rejected") {
      failed++;
      process.stderr.write(`${show(f)}: error: ${r.reason instanceof HushError ? r.reason.message : "unexpected failure"}\n`);
    } else process.stdout.write(`${show(f)}: updated\n`);
  });
  if (failed > 0) throw new HushError("GENERIC", `failed updating ${failed} file${failed === 1 ? "" : "s"}`);
}
