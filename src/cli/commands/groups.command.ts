/** `hush groups add|delete`: sops's key group commands (the body is `groups.ts`). */
import { type Command, Option } from "commander";
import type { CommandSpec } from "../command.js";
import { configOption, thresholdOption } from "../key-options.js";
import { decryptionOrderOption, ignoreMacOption, typeOption } from "../options.js";
import { keyFlagOptions } from "../../lib/key-services.js";
import { withKeyserviceOptions } from "../sops-compat.js";

/** The key options of a new group: repeatable (as sops's string slices) or comma-separated; no environment variables. */
function groupKeyOptions(): Option[] {
  return keyFlagOptions().map((o) => {
    const flags = o.flags.replace(/^-\w, /, "");
    if (!o.env) return new Option(flags, o.description);
    const description = `${o.description.replace(/ \(env [A-Z_]+\)$/, "")}; repeatable`;
    return new Option(flags, description).argParser((v: string, prev: string | undefined) => (prev ? `${prev},${v}` : v));
  });
}

/** The options both subcommands share after their own: writing back, threshold, reading the file. */
function withFileOptions(cmd: Command): Command {
  return cmd
      .option("-i, --in-place", "write the result back to the file instead of standard output")
      .addOption(thresholdOption())
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addOption(ignoreMacOption("do not verify the MAC first"))
      .addOption(decryptionOrderOption())
      .addOption(configOption());
}

export const command: CommandSpec = {
  name: "groups",
  define(program) {
    const groups = program
      .command("groups")
      .description("add or delete key groups of an encrypted file (Shamir secret sharing across groups)")
      .addHelpText(
        "after",
        `
With several key groups, the data key is split so that --shamir-secret-sharing-threshold groups
(default: all) are needed to decrypt, each group by any one of its keys. Both subcommands need a
key that can decrypt the file now, verify its MAC, and change only the sops block.`,
      );
    const add = withKeyserviceOptions(groups.command("add"))
      .description("add a key group to a file")
      .argument("[file]", "the file (or --file)")
      .option("-f, --file <path>", "the file to add the group to");
    for (const o of groupKeyOptions()) add.addOption(o);
    withFileOptions(add)
      .addHelpText(
        "after",
        `
Examples:
  hush groups add --file secrets.enc.yaml --age age1alice… --age age1bob… -i
  hush groups add -i --shamir-secret-sharing-threshold 2 --pgp FINGERPRINT secrets.enc.yaml`,
      )
      .action(async (file: string | undefined, opts: Record<string, unknown>) => {
        const { runGroupsAdd } = await import("./groups.js");
        await runGroupsAdd(file, opts);
      });
    const del = withKeyserviceOptions(groups.command("delete"))
      .description("delete a key group from a file, by its index (0 is the first)")
      .argument("<index>", "the group's index, as listed in the file's key_groups")
      .option("-f, --file <path>", "the file to delete the group from");
    withFileOptions(del)
      .addHelpText(
        "after",
        `
Example:
  hush groups delete --file secrets.enc.yaml -i 1

The keys of the deleted group can still decrypt copies of the file they had: run hush rotate too.`,
      )
      .action(async (index: string, opts: Record<string, unknown>) => {
        const { runGroupsDelete } = await import("./groups.js");
        await runGroupsDelete(index, opts);
      });
  },
};
