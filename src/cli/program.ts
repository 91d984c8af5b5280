/** The `hush` program itself: its description, version, help epilogue and error settings. */
import { Command } from "commander";
import { VERSION } from "../version.js";

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

const SOPS_FORMS = `
sops's command forms work as well, so scripts run with hush in place of sops:
  hush -d FILE  (decrypt)   hush -e FILE  (encrypt)   hush -r FILE  (rotate)
  hush -d -i FILE / -e -i / -r -i          in place
  hush -d --extract '["db"]["password"]' FILE
  hush --set '["db"]["password"] "secret"' FILE
  hush FILE     (edit)      hush -V, hush version, hush -v, hush --version
Every sops flag and variable, and what hush does with it: docs/sops-compat.md.
`;

const EXIT_CODES = `
Exit codes (sops's): 1 generic, 2 unreadable input, 3 cannot write output, 7 bad set
path or value, 8 conflicting or unsupported options, 25 a value does not decrypt, 51 MAC
mismatch or no MAC, 91 bad --extract path, 92 empty file, 100 file not found or not given,
128 no key could decrypt the data key, 200 edit made no change, 201 no editor found, 203
already encrypted. hush's own: 75 the file is locked by another hush command (try again).
`;

/**
 * The program without its commands. Its settings are made here, before any command is added:
 * commander copies them into each command when it is created.
 */
export function newProgram(): Command {
  const program = new Command("hush")
    .description("Encrypted configuration for git, in the SOPS file format.")
    .version(VERSION, "-v, --version", "print hush's version")
    .option("--strict", "refuse key files other users can read (default: a warning; HUSH_STRICT=1 and CI=true refuse too)")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", EXAMPLES + SOPS_FORMS + EXIT_CODES);
  // commander throws instead of exiting; main maps its errors to exit codes.
  program.exitOverride();
  // --strict goes where the key code reads it, the environment (util/fs.ts), before any command runs.
  program.hook("preAction", () => {
    if (program.opts()["strict"]) process.env["HUSH_STRICT"] = "1";
  });
  program.configureOutput({ outputError: (s, write) => write(s.replace(/^error: /, "hush: error: ")) });
  return program;
}
