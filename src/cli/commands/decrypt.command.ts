/** `hush decrypt`: its arguments, flags and help (the body is `decrypt.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption } from "../key-options.js";
import { decryptionOrderOption, filenameOverrideOption, ignoreMacOption, indentOption, typeOption } from "../options.js";
import { withKeyserviceOptions } from "../sops-compat.js";

export const command: CommandSpec = {
  name: "decrypt",
  define(program) {
    withKeyserviceOptions(program.command("decrypt"))
      .description("decrypt a file written by hush or sops and print the plaintext")
      .argument("[file]", "file to decrypt; standard input when omitted or -")
      .option("-i, --in-place", "replace the file with its plaintext (atomically)")
      .option("-o, --output <path>", "write to this file (mode 0600) instead of standard output")
      .option("--extract <path>", `print only this part, e.g. db.password or '["db"]["password"]' (a string prints raw)`)
      .addOption(typeOption("input-type", "format of the input (default: from the file name)"))
      .addOption(typeOption("output-type", "format of the output (default: the input's)"))
      .addOption(filenameOverrideOption())
      .addOption(ignoreMacOption("do not verify the MAC (for files you trust that were edited by hand)"))
      .addOption(decryptionOrderOption())
      .addOption(indentOption("indentation when converting formats or extracting a subtree (default: .sops.yaml stores:)"))
      .addOption(configOption())
      .addHelpText(
        "after",
        `
The MAC over all values is verified unless --ignore-mac. Keys are looked up as sops does:
SOPS_AGE_KEY (identities), SOPS_AGE_KEY_FILE (a keys file), SOPS_AGE_KEY_CMD (a command
printing identities), then $XDG_CONFIG_HOME/sops/age/keys.txt (~/.config/sops/age/keys.txt);
SSH keys from SOPS_AGE_SSH_PRIVATE_KEY_FILE, SOPS_AGE_SSH_PRIVATE_KEY_CMD, ~/.ssh/id_ed25519 and
~/.ssh/id_rsa; age plugins (AGE-PLUGIN-…) through age-plugin-<name> on PATH. Vault: VAULT_TOKEN,
an AppRole (VAULT_ROLE_ID, VAULT_SECRET_ID) or Kubernetes (VAULT_K8S_ROLE) login at VAULT_ADDR, or
~/.vault-token.

Examples:
  hush decrypt secrets.enc.yaml
  hush decrypt --extract '["api"]["token"]' secrets.enc.yaml
  hush decrypt --output-type json secrets.enc.yaml

Paths: db.password, hosts[0] (or hosts.0), or sops's '["db"]["password"]'; a dot, bracket or
backslash inside a key is escaped with \\ (a\\.b), or the key is quoted: '["a.b"]'. The path is
taken exactly as written: a.b.c is three nested keys.

Output in the file's own format keeps its layout. Text hush generates (--output-type another
format, --extract of a mapping) is indented by --indent, else by the stores: section of
.sops.yaml (stores.yaml.indent, stores.json.indent), else as sops does by default.`,
      )
      .action(async (file: string | undefined, opts: Record<string, unknown>) => {
        const { runDecrypt } = await import("./decrypt.js");
        await runDecrypt(file, opts);
      });
  },
};
