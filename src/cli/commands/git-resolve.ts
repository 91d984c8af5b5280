/**
 * `hush git resolve FILE [--ours|--theirs]`: finishes a conflicted merge of an encrypted file (see
 * src/git/resolve.ts). On a terminal it shows each conflicting path with both sides' values and
 * asks which to keep; the values appear on that terminal only, never in a file or the index.
 */
import { createInterface } from "node:readline";
import { HushError } from "../../errors.js";
import type { MergeChoice, MergeConflict } from "../../lib/internal.js";
import { resolveConflict, showNode } from "../../git/resolve.js";
import { writeStdout } from "../stdout.js";

interface ResolveFlags {
  ours?: boolean;
  theirs?: boolean;
}

function indent(text: string): string {
  return text.split("\n").map((l) => `      ${l}`).join("\n");
}

/**
 * Asks on the terminal (questions on stderr, so stdout stays the report). One line reader for the
 * whole run, read as a stream: answers typed ahead are queued, not lost between questions.
 */
function terminalChooser(): { choose: (c: MergeConflict) => Promise<MergeChoice>; close: () => void } {
  let lines: AsyncIterator<string> | undefined;
  let rl: ReturnType<typeof createInterface> | undefined;
  const next = async (): Promise<string> => {
    if (!lines) {
      rl = createInterface({ input: process.stdin, terminal: false });
      lines = rl[Symbol.asyncIterator]();
    }
    const r = await lines.next();
    if (r.done) throw new HushError("USAGE", "no answer: the input ended before every conflict was decided; nothing was written");
    return r.value;
  };
  const choose = async (c: MergeConflict): Promise<MergeChoice> => {
    process.stderr.write(`\nconflict at ${c.label}\n`);
    if (c.kind === "value") {
      process.stderr.write(`  base:\n${indent(showNode(c.base))}\n  ours:\n${indent(showNode(c.ours))}\n  theirs:\n${indent(showNode(c.theirs))}\n`);
    } else {
      process.stderr.write(`  ours:   ${c.oursText ?? ""}\n  theirs: ${c.theirsText ?? ""}\n`);
    }
    for (;;) {
      process.stderr.write("keep [o]urs or [t]heirs? ");
      const a = (await next()).trim().toLowerCase();
      if (a === "o" || a === "ours") return "ours";
      if (a === "t" || a === "theirs") return "theirs";
    }
  };
  return { choose, close: () => rl?.close() };
}

/** Resolves FILE's conflict (--ours, --theirs, or per path on a terminal) and stages it. */
export async function runGitResolve(file: string, flags: ResolveFlags): Promise<void> {
  if (flags.ours && flags.theirs) throw new HushError("CONFLICTING_PARAMETERS", "--ours and --theirs cannot be used together");
  const side: MergeChoice | undefined = flags.ours ? "ours" : flags.theirs ? "theirs" : undefined;
  const terminal = !side && process.stdin.isTTY && process.stderr.isTTY ? terminalChooser() : undefined;
  const choose = side ? () => side : terminal?.choose;
  let res;
  try {
    res = await resolveConflict(file, choose ? { choose } : {});
  } finally {
    terminal?.close();
  }
  for (const n of res.notes) process.stderr.write(`hush: ${n}\n`);
  const decided = res.resolved.map((c) => `  ${c.label}\n`).join("");
  await writeStdout(`resolved ${res.path} and staged it${decided ? `; conflicts decided:\n${decided}` : "\n"}`);
}
