/** `hush git textconv FILE`: the decrypted view git diffs (see src/git/textconv.ts). */
import { textconvText } from "../../git/textconv.js";
import { isFormatName, readInput } from "../../lib/internal.js";
import { writeStdout } from "../stdout.js";

interface TextconvFlags {
  inputType?: string;
}

/** Prints the diff view of FILE; never fails for content it cannot decrypt. */
export async function runGitTextconv(file: string, flags: TextconvFlags): Promise<void> {
  const text = (await readInput(file)).toString("utf8");
  const format = flags.inputType && isFormatName(flags.inputType) ? flags.inputType : undefined;
  await writeStdout(await textconvText(text, format ? { format } : {}));
}
