/** `hush git install [PATTERNS…]`: drivers, attributes and the pre-commit hook (see src/git/install.ts). */
import { createInterface } from "node:readline/promises";
import { installGit } from "../../git/install.js";
import { deleteTextconvCache, TEXTCONV_CACHE_REF } from "../../git/textconv-cache.js";
import { writeStdout } from "../stdout.js";

interface InstallFlags {
  uninstall?: boolean;
  global?: boolean;
  command?: string;
  /** `--no-cache`: accepted for old scripts; the decrypted view is never cached now. */
  cache?: boolean;
  deleteTextconvCache?: boolean;
  hook?: boolean;
}

/** Asks a yes/no question on the terminal; false unless the answer starts with y. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^\s*y/i.test(await rl.question(question));
  } finally {
    rl.close();
  }
}

/** Installs or uninstalls, printing one line per change. */
export async function runGitInstall(patterns: string[], flags: InstallFlags): Promise<void> {
  const report = await installGit({
    patterns,
    ...(flags.uninstall ? { uninstall: true } : {}),
    ...(flags.global ? { global: true } : {}),
    ...(flags.command ? { command: flags.command } : {}),
    ...(flags.deleteTextconvCache ? { deleteTextconvCache: true } : {}),
    ...(flags.hook === false ? { hook: false } : {}),
  });
  let warnings = report.warnings;
  if (report.textconvCacheLeft && process.stdin.isTTY && process.stderr.isTTY) {
    // Asked, not just warned: it is plaintext in .git that every backup and mirror push copies.
    warnings = warnings.filter((w) => !w.startsWith(TEXTCONV_CACHE_REF));
    if (await confirm(`hush: ${TEXTCONV_CACHE_REF} holds decrypted diff views (plaintext in .git). Delete it? [y/N] `)) {
      const r = await deleteTextconvCache();
      report.actions.push(`deleted ${TEXTCONV_CACHE_REF} (decrypted diff views) and ${r.objects} object${r.objects === 1 ? "" : "s"} only it reached`);
    } else {
      warnings.push(`${TEXTCONV_CACHE_REF} kept: it holds decrypted diff views; \`hush git install --delete-textconv-cache\` deletes it`);
    }
  }
  for (const w of warnings) process.stderr.write(`hush: warning: ${w}\n`);
  const lines = report.actions.length > 0 ? report.actions : [flags.uninstall ? "nothing to remove" : "already installed; nothing changed"];
  await writeStdout(lines.map((l) => `${l}\n`).join(""));
}
