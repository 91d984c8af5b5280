/** `hush share`: its arguments, flags and help (the body is `share.ts`). */
import type { CommandSpec } from "../command.js";
import { repeatable, typeOption } from "../options.js";

export const command: CommandSpec = {
  name: "share",
  define(program) {
    program
      .command("share")
      .description("encrypt a few values to someone outside the repository, as one armored age file")
      .argument("<keys...>", `values or subtrees to share: db.password, or '["db"]["password"]'`)
      .option("--to <age1…>", "the recipient of the bundle (repeatable)", repeatable)
      .option("-f, --file <path>", "the encrypted file the values come from (default secrets.enc.yaml)")
      .option("-o, --output <path>", "write the bundle here instead of standard output")
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addHelpText(
        "after",
        `
The bundle is a small YAML document encrypted with age (not a sops file): the recipient opens
it with \`hush import BUNDLE\` or \`age -d -i KEYFILE BUNDLE\`.

Example:
  hush share --to age1… -f prod.enc.yaml db.password stripe.api_key > for-carol.age`,
      )
      .action(async (keys: string[], opts: Record<string, unknown>) => {
        const { runShare } = await import("./share.js");
        await runShare(keys, opts);
      });
  },
};
