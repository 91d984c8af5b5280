/** `hush updatekeys`: its arguments, flags and help (the body is `updatekeys.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption } from "../key-options.js";
import { jobsOption, typeOption } from "../options.js";
import { withKeyserviceOptions } from "../sops-compat.js";

export const command: CommandSpec = {
  name: "updatekeys",
  define(program) {
    withKeyserviceOptions(program.command("updatekeys"))
      .description("make files' recipients match .sops.yaml (values, mac and lastmodified stay as they are)")
      .argument("<paths...>", "encrypted files, or directories to search for them")
      .option("-y, --yes", "apply without asking")
      .addOption(jobsOption())
      .option("--rotate", "when a recipient is removed, also give the file a new data key (as `hush rotate`)")
      .addOption(configOption())
      .option("--shamir-secret-sharing-threshold <n>", "key groups needed to decrypt, when several")
      .addOption(typeOption("input-type", "format of the files (default: from each file name)"))
      .addHelpText(
        "after",
        `
Shows, per file, the recipients added (+) and removed (-), asks once, then re-wraps each
file's data key for its rule's recipients. Recipients that stay keep their entries as they
are, so the diff shows only who changed. Removing someone does not change the data key they
may have seen (in their copy, in git history): they can still read the old and current values
until the key is rotated. --rotate does that in the same step; change the secrets themselves too.`,
      )
      .action(async (paths: string[], opts: Record<string, unknown>) => {
        const { runUpdatekeys } = await import("./updatekeys.js");
        await runUpdatekeys(paths, opts);
      });
  },
};
