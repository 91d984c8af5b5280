/**
 * The `hush` command line: wiring only. Each command lives in `commands/` and is imported when it
 * runs, so `hush --help` and `hush decrypt` load only what they use.
 */
import { Command, Option } from "commander";
import { HushError } from "../errors.js";
import { VERSION } from "../version.js";
import { configOption, rotateKeyOptions, thresholdOption, withKeyOptions } from "./key-options.js";
import { reportError } from "./report.js";

const EXAMPLES = `
Examples:
  hush keygen                                  create an age key in ~/.config/sops/age/keys.txt
  hush encrypt --age age1… secrets.yaml > secrets.enc.yaml
  hush encrypt -i config.enc.json              recipients from the matching .sops.yaml rule
  hush decrypt secrets.enc.yaml                print the plaintext
  hush decrypt --extract '["db"]["password"]' secrets.enc.yaml
  hush edit secrets.enc.yaml                   only changed values get new ciphertext
  hush exec-env secrets.enc.yaml -- npm start  secrets only in the child's environment
  hush git install                             readable git diff, merge driver, pre-commit guard

hush reads and writes the SOPS file format: files sops wrote decrypt with hush, and
files hush writes decrypt with sops. Keys are found where sops finds them (SOPS_AGE_KEY,
SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, ~/.config/sops/age/keys.txt, GnuPG, cloud credentials).
`;

const EXIT_CODES = `
Exit codes (sops's): 1 generic, 2 unreadable input, 3 cannot write output, 8 conflicting
options, 25 a value does not decrypt, 51 MAC mismatch, 91 bad --extract path, 92 empty
file, 100 file not found, 128 no key could decrypt the data key, 203 already encrypted.
`;

function typeOption(name: string, what: string): Option {
  return new Option(`--${name} <type>`, what).choices(["yaml", "json", "dotenv", "ini", "binary"]);
}

/** The top-level commands, in the order `--help` lists them. */
const COMMANDS = [
  "encrypt", "decrypt", "keygen", "edit", "set", "unset", "rotate", "filestatus", "exec-env", "exec-file",
  "updatekeys", "git", "check", "audit", "rotation-status", "init", "invite", "revoke", "share", "import",
] as const;

/**
 * Builds the program (exported for tests and `--help` checks). With `only`, just that top-level
 * command is added: parsing `hush decrypt …` needs no other (main uses it; the commands are
 * independent, and the program's own options and settings are the same either way).
 */
export function buildProgram(only?: (typeof COMMANDS)[number]): Command {
  const want = (name: (typeof COMMANDS)[number]): boolean => only === undefined || only === name;
  const program = new Command("hush")
    .description("Encrypted configuration for git, in the SOPS file format.")
    .version(VERSION, "-v, --version", "print hush's version")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", EXAMPLES + EXIT_CODES);
  // Set before adding commands: subcommands inherit these settings when they are created.
  program.exitOverride();
  program.configureOutput({ outputError: (s, write) => write(s.replace(/^error: /, "hush: error: ")) });

  if (want("encrypt")) {
    withKeyOptions(
      program
        .command("encrypt")
        .description("encrypt the values of a YAML, JSON, dotenv or INI file (keys stay readable), or any file whole")
        .argument("[file]", "file to encrypt; standard input when omitted or -"),
    )
      .option("-i, --in-place", "replace the file with its encrypted form (atomically)")
      .option(
        "--reuse <previous>",
        "keep PREVIOUS's data key, recipients and rules, and the exact ciphertext of every unchanged value",
      )
      .option("-o, --output <path>", "write to this file instead of standard output")
      .addOption(typeOption("input-type", "format of the input (default: from the file name)"))
      .addOption(typeOption("output-type", "format of the output (default: the input's)"))
      .option("--filename-override <path>", "file name to pick the format by (for standard input)")
      .option("--unencrypted-suffix <suffix>", "leave values under keys ending with this in clear (default _unencrypted)")
      .option("--encrypted-suffix <suffix>", "encrypt only values under keys ending with this")
      .option("--unencrypted-regex <re>", "leave values under keys matching this in clear")
      .option("--encrypted-regex <re>", "encrypt only values under keys matching this")
      .option("--unencrypted-comment-regex <re>", "leave values after a comment matching this in clear")
      .option("--encrypted-comment-regex <re>", "encrypt only values after a comment matching this")
      .option("--mac-only-encrypted", "compute the MAC over encrypted values only")
      .option("--indent <n>", "indentation for new blocks (YAML spaces; JSON spaces, -1 for a tab)", parseIntOption)
      .addOption(thresholdOption())
      .addOption(configOption())
      .addHelpText(
        "after",
        `
Only values are encrypted, each with AES-256-GCM under a fresh data key and its path as
additional data; comments are encrypted too. The data key is wrapped for every recipient.

Recipients come from the key options (or their SOPS_* variables); when none is given, from
the first creation rule of .sops.yaml whose path_regex matches the file's path relative to
the directory of .sops.yaml (found from the working directory up; --config or SOPS_CONFIG
to choose one). The rule also sets the selection options, mac_only_encrypted and the
Shamir threshold, unless given here; its stores: settings give the default --indent.

Examples:
  hush encrypt --age age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p secrets.yaml
  SOPS_AGE_RECIPIENTS=age1… hush encrypt -i config.json
  hush encrypt -i secrets/prod.yaml             keys and options from .sops.yaml`,
      )
      .action(async (file: string | undefined, opts: Record<string, unknown>) => {
        const { runEncrypt } = await import("./commands/encrypt.js");
        await runEncrypt(file, opts);
      });
  }

  if (want("decrypt")) {
    program
      .command("decrypt")
      .description("decrypt a file written by hush or sops and print the plaintext")
      .argument("[file]", "file to decrypt; standard input when omitted or -")
      .option("-i, --in-place", "replace the file with its plaintext (atomically)")
      .option("-o, --output <path>", "write to this file (mode 0600) instead of standard output")
      .option("--extract <path>", `print only this part, e.g. '["db"]["password"]' (a string prints raw)`)
      .addOption(typeOption("input-type", "format of the input (default: from the file name)"))
      .addOption(typeOption("output-type", "format of the output (default: the input's)"))
      .option("--filename-override <path>", "file name to pick the format by (for standard input)")
      .option("--ignore-mac", "do not verify the MAC (for files you trust that were edited by hand)")
      .option("--decryption-order <kinds>", "key kinds to try first, comma-separated (env SOPS_DECRYPTION_ORDER)")
      .option("--indent <n>", "indentation when converting formats or extracting a subtree (default: .sops.yaml stores:)", parseIntOption)
      .addOption(configOption())
      .addHelpText(
        "after",
        `
The MAC over all values is verified unless --ignore-mac. Keys are looked up as sops does:
SOPS_AGE_KEY (identities), SOPS_AGE_KEY_FILE (a keys file), SOPS_AGE_KEY_CMD (a command
printing identities), then $XDG_CONFIG_HOME/sops/age/keys.txt (~/.config/sops/age/keys.txt).

Examples:
  hush decrypt secrets.enc.yaml
  hush decrypt --extract '["api"]["token"]' secrets.enc.yaml
  hush decrypt --output-type json secrets.enc.yaml

Output in the file's own format keeps its layout. Text hush generates (--output-type another
format, --extract of a mapping) is indented by --indent, else by the stores: section of
.sops.yaml (stores.yaml.indent, stores.json.indent), else as sops does by default.`,
      )
      .action(async (file: string | undefined, opts: Record<string, unknown>) => {
        const { runDecrypt } = await import("./commands/decrypt.js");
        await runDecrypt(file, opts);
      });
  }

  if (want("keygen")) {
    program
      .command("keygen")
      .description("create an age identity (file mode 0600) and print its public key")
      .option("-o, --output <path>", "key file to write or append to (default: sops's age keys file)")
      .addHelpText(
        "after",
        `
The identity is appended to the key file (created with mode 0600), never overwriting keys
already there. The public key (age1…) is printed on standard output: give it to whoever
encrypts files for you, or put it in .sops.yaml.`,
      )
      .action(async (opts: Record<string, unknown>) => {
        const { runKeygen } = await import("./commands/keygen.js");
        await runKeygen(opts);
      });
  }

  if (want("edit")) {
    withKeyOptions(
      program
        .command("edit")
        .description("edit an encrypted file in $EDITOR; unchanged values keep their exact ciphertext")
        .argument("<file>", "encrypted file (a new one is created from a template)"),
    )
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .option("--ignore-mac", "do not verify the MAC before editing")
      .option("--indent <n>", "indentation of a new file's metadata (default: .sops.yaml stores:)", parseIntOption)
      .addOption(configOption())
      .addHelpText(
        "after",
        `
The plaintext lives only in a private temp directory (0700, file 0600) while the editor
runs ($SOPS_EDITOR, $VISUAL, $EDITOR, else vi), and is removed on every exit path. An edit
that does not parse reopens the editor with the error shown. Saving without changes leaves
the file untouched; otherwise only changed values get new ciphertext (plus mac and
lastmodified), so diffs stay small.

A new file is encrypted for the key options' recipients, else for the matching creation rule
of .sops.yaml (--config or SOPS_CONFIG to choose one), with the rule's selection options.`,
      )
      .action(async (file: string, opts: Record<string, unknown>) => {
        const { runEdit } = await import("./commands/edit.js");
        await runEdit(file, opts);
      });
  }

  if (want("set")) {
    program
      .command("set")
      .description("set one value (JSON) at a path; unchanged values keep their ciphertext")
      .argument("<file>", "encrypted file, changed in place")
      .argument("<path>", `tree path: '["key"][0]["other"]'; missing keys are created, past a list's end appends`)
      .argument("[value]", "the value as JSON: '\"text\"', 42, true, {\"a\": 1}")
      .option("--value-stdin", "read the value (JSON) from standard input, keeping it out of shell history")
      .option("--value-file <path>", "read the value (JSON) from a file")
      .option("--ignore-mac", "do not verify the MAC first")
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addOption(configOption())
      .addHelpText("after", "\nNew YAML blocks are indented by stores.yaml.indent of .sops.yaml (default 4); the rest of the file keeps its layout.")
      .action(async (file: string, path: string, value: string | undefined, opts: Record<string, unknown>) => {
        const { runSet } = await import("./commands/set.js");
        await runSet(file, path, value, opts);
      });
  }

  if (want("unset")) {
    program
      .command("unset")
      .description("remove the value at a path")
      .argument("<file>", "encrypted file, changed in place")
      .argument("<path>", `tree path: '["key"][0]'`)
      .option("--idempotent", "succeed without change when the path does not exist")
      .option("--ignore-mac", "do not verify the MAC first")
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addOption(configOption())
      .action(async (file: string, path: string, opts: Record<string, unknown>) => {
        const { runUnset } = await import("./commands/set.js");
        await runUnset(file, path, opts);
      });
  }

  if (want("rotate")) {
    const rotate = program
      .command("rotate")
      .description("generate a new data key and re-encrypt every value; optionally add or remove recipients")
      .argument("<file>", "encrypted file")
      .option("-i, --in-place", "replace the file (atomically) instead of printing the result")
      .option("-o, --output <path>", "write to this file")
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .option("--ignore-mac", "do not verify the MAC first")
      .addOption(configOption());
    for (const o of rotateKeyOptions()) rotate.addOption(o);
    rotate
      .addHelpText("after", "\nAfter a rotation the old data key decrypts nothing in the new file. Key entries kept keep their created_at.")
      .action(async (file: string, opts: Record<string, unknown>) => {
        const { runRotate } = await import("./commands/rotate.js");
        await runRotate(file, opts);
      });
  }

  if (want("filestatus")) {
    program
      .command("filestatus")
      .description('print {"encrypted":true} or {"encrypted":false} for a file, as sops does')
      .argument("<file>", "file to inspect")
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addOption(configOption())
      .action(async (file: string, opts: Record<string, unknown>) => {
        const { runFilestatus } = await import("./commands/filestatus.js");
        await runFilestatus(file, opts);
      });
  }

  const repeatable = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];
  if (want("exec-env")) {
    program
      .command("exec-env")
      .usage("[options] [file] -- <command> [args...]")
      .description("run a command with the decrypted values in its environment (nothing written to disk)")
      .argument("[args...]", "the file, then -- and the command with its arguments")
      .option("-f, --file <path>", "a secrets file (repeatable; later files override earlier ones)", repeatable)
      .option("--pristine", "start from an empty environment instead of hush's own")
      .option("--only <names>", "pass only these variables (comma-separated, repeatable)", repeatable)
      .option("--no-flatten", "sops's behaviour: top-level values only, nested values are an error")
      .option("--separator <sep>", "joins the parts of a nested value's name (default _)")
      .addOption(typeOption("input-type", "format of the files (default: from each file name)"))
      .option("--ignore-mac", "do not verify the MAC")
      .option("--decryption-order <kinds>", "key kinds to try first, comma-separated (env SOPS_DECRYPTION_ORDER)")
      .addOption(configOption())
      .addHelpText(
        "after",
        `
Top-level values keep their names; nested ones are named by their path, upper-cased and joined
with the separator: db.password -> DB_PASSWORD, hosts[1] -> HOSTS_1. Non-strings are written
as sops writes them (3 -> 3.0 for floats, true/false). The values override variables of the
same name. SIGINT, SIGTERM, SIGHUP and SIGQUIT are passed to the command, and hush exits with
its exit code (128 + the signal number when a signal killed it). Without --, the command is
one string run with /bin/sh -c, as in sops.

Examples:
  hush exec-env secrets.enc.yaml -- node server.js
  hush exec-env -f base.enc.yaml -f prod.enc.yaml --only DB_PASSWORD -- ./migrate
  hush exec-env secrets.enc.yaml 'echo "$DB_PASSWORD" | wc -c'`,
      )
      .action(async (args: string[], opts: Record<string, unknown>, cmd: Command) => {
        const { runExecEnv } = await import("./commands/exec-env.js");
        await runExecEnv(args, opts, cmd);
      });
  }

  if (want("exec-file")) {
    program
      .command("exec-file")
      .usage("[options] <file> -- <command> [args...]")
      .description("run a command that reads the decrypted file at {} (a FIFO by default)")
      .argument("[args...]", "the file, then -- and the command; {} in it is replaced by the path")
      .option("--no-fifo", "use a regular temp file (mode 0600, removed afterwards) instead of a FIFO")
      .option("--filename <name>", "name of the FIFO or file (default: the input's name without .enc)")
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addOption(typeOption("output-type", "format the command reads (default: the input's)"))
      .option("--indent <n>", "indentation when converting formats (default: .sops.yaml stores:)", parseIntOption)
      .option("--ignore-mac", "do not verify the MAC")
      .option("--decryption-order <kinds>", "key kinds to try first, comma-separated (env SOPS_DECRYPTION_ORDER)")
      .addOption(configOption())
      .addHelpText(
        "after",
        `
The FIFO (or file) lives in a private directory (0700) in $XDG_RUNTIME_DIR or /dev/shm when
available, and is removed when the command exits, however it exits. A FIFO passes the
plaintext through a pipe, so it never reaches a disk, and can be read once (as with sops);
programs that read their input twice, seek in it or check its size need --no-fifo. Exit
codes and signals are handled as for exec-env.

Examples:
  hush exec-file kubeconfig.enc.yaml -- kubectl --kubeconfig {} get pods
  hush exec-file --no-fifo --filename app.json config.enc.json -- ./app --config {}`,
      )
      .action(async (args: string[], opts: Record<string, unknown>, cmd: Command) => {
        const { runExecFile } = await import("./commands/exec-file.js");
        await runExecFile(args, opts, cmd);
      });
  }

  if (want("updatekeys")) {
    program
      .command("updatekeys")
      .description("make files' recipients match .sops.yaml (values, mac and lastmodified stay as they are)")
      .argument("<paths...>", "encrypted files, or directories to search for them")
      .option("-y, --yes", "apply without asking")
      .option("-j, --jobs <n>", "files processed at once (default 8)")
      .addOption(configOption())
      .option("--shamir-secret-sharing-threshold <n>", "key groups needed to decrypt, when several")
      .addOption(typeOption("input-type", "format of the files (default: from each file name)"))
      .addHelpText(
        "after",
        `
Shows, per file, the recipients added (+) and removed (-), asks once, then re-wraps each
file's data key for its rule's recipients. Recipients that stay keep their entries as they
are, so the diff shows only who changed. Removing someone does not change the data key they
may have seen: run hush rotate too.`,
      )
      .action(async (paths: string[], opts: Record<string, unknown>) => {
        const { runUpdatekeys } = await import("./commands/updatekeys.js");
        await runUpdatekeys(paths, opts);
      });
  }

  // git integration: drivers, hook, history (src/git/)
  if (want("git")) {
    const gitCmd = program
      .command("git")
      .description("git integration: readable diffs, a merge driver by key, a pre-commit guard");
    gitCmd
      .command("install")
      .description("set up diff/merge drivers, .gitattributes and a pre-commit hook (idempotent)")
      .argument("[patterns...]", "gitattributes patterns of encrypted files (default: from .sops.yaml path_regex)")
      .option("--uninstall", "remove exactly what install added")
      .option("--global", "use the global git config and attributes file instead of the repository's")
      .option("--command <cmd>", "how git should run hush (default: this hush: `hush`, or `node /path/bin/hush.js`)")
      .option("--no-cache", "do not cache the decrypted diff view (diff.hush.cachetextconv=false)")
      .option("--no-hook", "do not install the pre-commit hook")
      .addHelpText(
        "after",
        `
Writes '<pattern> diff=hush merge=hush' lines in a marked block of .gitattributes, sets
diff.hush.textconv, diff.hush.cachetextconv, merge.hush.name and merge.hush.driver, and
installs a pre-commit hook running \`hush check --staged\` (an existing hook is kept as
pre-commit.hush-chained and run first). With cachetextconv, git keeps the decrypted view
in refs/notes/textconv/hush of this clone (never pushed unless you push that ref).

Examples:
  hush git install                       patterns from .sops.yaml creation rules
  hush git install '*.enc.yaml' 'secrets/**'
  hush git install --uninstall`,
      )
      .action(async (patterns: string[], opts: Record<string, unknown>) => {
        const { runGitInstall } = await import("./commands/git-install.js");
        await runGitInstall(patterns, opts);
      });
    gitCmd
      .command("textconv")
      .description("print the decrypted view git diffs (diff.hush.textconv); never fails the diff")
      .argument("<file>", "the file git passes (a temporary name: the format comes from the content)")
      .addOption(typeOption("input-type", "format of the file (default: JSON if it starts with {, else YAML)"))
      .action(async (file: string, opts: Record<string, unknown>) => {
        const { runGitTextconv } = await import("./commands/git-textconv.js");
        await runGitTextconv(file, opts);
      });
    gitCmd
      .command("merge")
      .description("merge driver: three-way merge by key path of encrypted files (merge.hush.driver)")
      .argument("<base>", "%O: the common ancestor's version")
      .argument("<ours>", "%A: our version; the result is written here")
      .argument("<theirs>", "%B: their version")
      .argument("[path]", "%P: the file's path in the repository")
      .argument("[rest...]", "ignored (for drivers configured with more placeholders)")
      .addHelpText(
        "after",
        `
Changes to different keys merge cleanly, re-encrypted with every unchanged value's ciphertext
kept and a fresh MAC; recipients merge as sets. When the same key changed on both sides the
file keeps our encrypted version, the conflicting paths (never values) are printed, and the
exit status is 1: finish with \`hush git resolve FILE\`. Without a key, git's textual merge
of the encrypted text is used instead.`,
      )
      .action(async (base: string, ours: string, theirs: string, path: string | undefined) => {
        const { runGitMerge } = await import("./commands/git-merge.js");
        await runGitMerge(base, ours, theirs, path);
      });
    gitCmd
      .command("resolve")
      .description("finish a conflicted merge of an encrypted file: choose per path, then stage it")
      .argument("<file>", "the conflicted file")
      .option("--ours", "keep our side of every conflicting path")
      .option("--theirs", "keep their side of every conflicting path")
      .addHelpText(
        "after",
        "\nOn a terminal, without --ours/--theirs, each conflicting path is shown with both values\n(on the terminal only) and you choose. The result is written encrypted and `git add`ed.",
      )
      .action(async (file: string, opts: Record<string, unknown>) => {
        const { runGitResolve } = await import("./commands/git-resolve.js");
        await runGitResolve(file, opts);
      });
  }

  if (want("check")) {
    program
      .command("check")
      .description("fail on plaintext files .sops.yaml says must be encrypted, or broken encrypted files (no key needed)")
      .argument("[paths...]", "files to check (default: every tracked file)")
      .option("--staged", "check what is staged for commit (the pre-commit hook runs this)")
      .addOption(configOption())
      .action(async (paths: string[], opts: Record<string, unknown>) => {
        const { runCheck } = await import("./commands/check.js");
        await runCheck(paths, opts);
      });
  }

  if (want("audit")) {
    program
      .command("audit")
      .description("history of an encrypted file: who changed which keys and recipients (no key needed)")
      .argument("<file>", "an encrypted file tracked by git")
      .option("--json", "print JSON")
      .action(async (file: string, opts: Record<string, unknown>) => {
        const { runAudit } = await import("./commands/audit.js");
        await runAudit(file, opts);
      });
  }

  if (want("rotation-status")) {
    program
      .command("rotation-status")
      .description("when each encrypted value last changed, from git history (no key needed)")
      .argument("[files...]", "encrypted files (default: every tracked encrypted file)")
      .option("--max-age <duration>", "exit 1 when a value is older than this: 90d, 12h, 2w")
      .option("--json", "print JSON")
      .addHelpText("after", "\nData-key rotations do not count as changes: they re-encrypt the same secrets.")
      .action(async (files: string[], opts: Record<string, unknown>) => {
        const { runRotationStatus } = await import("./commands/rotation-status.js");
        await runRotationStatus(files, opts);
      });
  }

  // team workflows: init, invite, revoke, share, import (src/team/, docs/team.md)
  if (want("init")) {
    program
      .command("init")
      .description("start a repository's secrets: an age key for you, a .sops.yaml, git drivers (idempotent)")
      .option("--recovery <age1…>", "also encrypt to this offline recovery key (repeatable)", repeatable)
      .option("--name <name>", "a name for your key, as a comment in .sops.yaml (default: git user.email)")
      .option("--no-git", "do not install the git drivers and hook")
      .option("--command <cmd>", "how git should run hush (default: this hush)")
      .addHelpText(
        "after",
        `
Uses your age key (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, ~/.config/sops/age/keys.txt), or creates
one in the keys file. Writes .sops.yaml at the top of the working tree with one rule for
*.enc.{yaml,yml,json,env,ini} files, encrypting to you (and the recovery keys), unless one
exists. Then runs \`hush git install\`. See docs/team.md.

Examples:
  hush init
  hush init --recovery age1…               a key generated offline, for restoring access`,
      )
      .action(async (opts: Record<string, unknown>) => {
        const { runInit } = await import("./commands/init.js");
        await runInit(opts);
      });
  }

  if (want("invite")) {
    program
      .command("invite")
      .description("add an age recipient to .sops.yaml and re-key every encrypted file for them")
      .argument("<recipient>", "their age public key (age1…), from `hush keygen` or `age-keygen`")
      .option("--name <name>", "who it is, written as a comment next to the key")
      .option("--rule <index>", "only this creation rule (repeatable; default: every rule with keys)", repeatable)
      .option("--no-update", "only edit .sops.yaml; re-key later with `hush updatekeys -y .`")
      .option("--config <path>", "the .sops.yaml to edit (default: found from the current directory, or SOPS_CONFIG)")
      .option("-j, --jobs <n>", "files processed at once (default 8)")
      .addHelpText(
        "after",
        `
Needs a key that decrypts the files (yours). Only the wrapped data keys change, so values,
MACs and other recipients' entries stay as they are. Commit .sops.yaml and the files; the
new member decrypts after pulling.

Example:
  hush invite age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p --name bob`,
      )
      .action(async (recipient: string, opts: Record<string, unknown>) => {
        const { runInvite } = await import("./commands/invite.js");
        await runInvite(recipient, opts);
      });
  }

  if (want("revoke")) {
    program
      .command("revoke")
      .description("remove an age recipient everywhere, rotate data keys, list the values they could read")
      .argument("<recipient>", "the age public key (age1…) to remove")
      .option("--dry-run", "report what would change; write nothing")
      .option("--json", "print the report as JSON")
      .option("--config <path>", "the .sops.yaml to edit (default: found from the current directory, or SOPS_CONFIG)")
      .option("-j, --jobs <n>", "files processed at once (default 8)")
      .addHelpText(
        "after",
        `
Removes the recipient from every creation rule, then gives every encrypted file that named
it a new data key (every value re-encrypted), so nothing written from now on is readable
with their key. Every file is rotated in memory first: if one cannot be (no key for it),
nothing is written. What they already read cannot be taken back: the values listed must be
changed at their source (new passwords, new tokens), then stored with \`hush set\`.`,
      )
      .action(async (recipient: string, opts: Record<string, unknown>) => {
        const { runRevoke } = await import("./commands/revoke.js");
        await runRevoke(recipient, opts);
      });
  }

  if (want("share")) {
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
        const { runShare } = await import("./commands/share.js");
        await runShare(keys, opts);
      });
  }

  if (want("import")) {
    program
      .command("import")
      .description("open a bundle from `hush share`: print it, or merge its values into an encrypted file")
      .argument("<bundle>", "the armored (or binary) age file")
      .option("--into <file>", "merge into this encrypted YAML/JSON file (created for .sops.yaml's recipients if missing)")
      .option("--config <path>", "the .sops.yaml for a new --into file")
      .addHelpText("after", "\nWith --into, each value is set as `hush set` does: every other value keeps its ciphertext.")
      .action(async (bundle: string, opts: Record<string, unknown>) => {
        const { runImport } = await import("./commands/import.js");
        await runImport(bundle, opts);
      });
  }

  // ---- more commands: each registers its flags here and imports its module in the action ----

  return program;
}

function parseIntOption(v: string): number {
  if (!/^-?\d+$/.test(v)) throw new HushError("USAGE", `--indent takes an integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** Runs the CLI; never throws: errors are printed as one line and mapped to exit codes. */
export async function main(argv: string[] = process.argv): Promise<void> {
  // `hush … | head`: a closed pipe ends the output quietly, as for any Unix tool.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  // The command named first is the only one built (saves building ~25 unused commands at every
  // start); anything else (`--help`, `help decrypt`, an unknown command, an option first) gets
  // the whole program, so its help, suggestions and errors are as always.
  const first = argv[2];
  const program = buildProgram(COMMANDS.find((c) => c === first));
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (typeof code === "string" && code.startsWith("commander.")) {
      // commander already printed its message (or the help / version).
      const exit = (e as { exitCode?: number }).exitCode ?? 1;
      process.exitCode = exit === 0 ? 0 : 8;
      return;
    }
    process.exitCode = reportError(e);
  }
}
