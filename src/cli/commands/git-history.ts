/** `hush git log` / `hush git diff`: git with the textconv served in process (src/git/history.ts). */
import { runGitWithServedTextconv } from "../../git/history.js";

/** Runs `git <sub> args…`; git's exit status becomes ours. */
export async function runGitHistory(sub: "log" | "diff", args: string[]): Promise<void> {
  const status = await runGitWithServedTextconv(sub, args);
  if (status !== 0) process.exitCode = status;
}
