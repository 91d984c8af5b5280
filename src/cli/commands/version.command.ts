/** `hush version`: the version, as `hush --version` (`-v`, `-V`) prints it; sops has the same word. */
import type { CommandSpec } from "../command.js";
import { VERSION } from "../../version.js";

export const command: CommandSpec = {
  name: "version",
  define(program) {
    program
      .command("version")
      .description("print hush's version (as --version, -v and -V do)")
      .action(() => {
        process.stdout.write(`${VERSION}\n`);
      });
  },
};
