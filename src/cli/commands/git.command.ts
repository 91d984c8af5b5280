/** `hush git`: the git integration's subcommands (src/git/), each declared in its own file. */
import type { CommandSpec } from "../command.js";
import { command as install } from "./git-install.command.js";
import { command as textconv } from "./git-textconv.command.js";
import { command as merge } from "./git-merge.command.js";
import { command as resolve } from "./git-resolve.command.js";
import { diff, log } from "./git-history.command.js";

/** The subcommands, in the order `hush git --help` lists them. */
const SUBCOMMANDS: readonly CommandSpec[] = [install, textconv, merge, resolve, log, diff];

export const command: CommandSpec = {
  name: "git",
  define(program) {
    const git = program.command("git").description("git integration: readable diffs, a merge driver by key, a pre-commit guard");
    for (const sub of SUBCOMMANDS) sub.define(git);
  },
};
