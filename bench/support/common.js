// Shared by the benchmarks in bench/ (bench/run.js runs only the files directly in bench/).
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, and the CLI as users run it. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const HUSH = join(ROOT, "bin", "hush.js");

/** The median; for an even count, the mean of the middle two. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
