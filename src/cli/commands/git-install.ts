/** `hush git install [PATTERNS…]`: drivers, attributes and the pre-commit hook (see src/git/install.ts). */
import { installGit } from "../../git/install.js";
import { writeStdout } from "../stdout.js";

interface InstallFlags {
  uninstall?: boolean;
  global?: boolean;
  command?: string;
  cache?: boolean;
  hook?: boolean;
}

/** Installs or uninstalls, printing one line per change. */
export async function runGitInstall(patterns: string[], flags: InstallFlags): Promise<void> {
  const report = await installGit({
    patterns,
    ...(flags.uninstall ? { uninstall: true } : {}),
    ...(flags.global ? { global: true } : {}),
    ...(flags.command ? { command: flags.command } : {}),
    ...(flags.cache === false ? { cacheTextconv: false } : {}),
    ...(flags.hook === false ? { hook: false } : {}),
  });
  for (const w of report.warnings) process.stderr.write(`hush: warning: ${w}\n`);
  if (!flags.uninstall && flags.cache !== false && report.actions.some((a) => a.startsWith("set diff.hush.cachetextconv"))) {
    // git's textconv cache holds the decrypted views, unencrypted, in this clone's object store.
    process.stderr.write(
      "hush: note: with diff.hush.cachetextconv, git stores decrypted diff views in refs/notes/textconv/hush of this clone (local, not pushed); install with --no-cache to avoid that\n",
    );
  }
  const lines = report.actions.length > 0 ? report.actions : [flags.uninstall ? "nothing to remove" : "already installed; nothing changed"];
  await writeStdout(lines.map((l) => `${l}\n`).join(""));
}
