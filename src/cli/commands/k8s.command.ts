/**
 * `hush k8s …`: Kubernetes Secrets from hush files and the kustomize generator (src/k8s/,
 * docs/kubernetes.md). This file declares the commands' flags and help; the bodies (`k8s.ts`) are
 * imported when a command runs.
 */
import { Option, type Command } from "commander";
import type { CommandSpec } from "../command.js";
import { repeatable } from "../options.js";
import type { SecretFlags } from "./k8s.js";

const SECRET_HELP = `
Values are decrypted in memory (MAC verified) and the manifest goes to standard output only:
pipe it to \`kubectl apply -f -\`. Nested values get exec-env's names (db.password →
DB_PASSWORD; top-level keys keep theirs, so tls.crt stays tls.crt); nulls are skipped. A
binary file (or any file with --key) becomes one key: --key, else the file name without .enc.
Typed Secrets must hold their keys: kubernetes.io/tls tls.crt and tls.key,
kubernetes.io/dockerconfigjson .dockerconfigjson (JSON), kubernetes.io/basic-auth username
or password, kubernetes.io/ssh-auth ssh-privatekey, bootstrap.kubernetes.io/token token-id
and token-secret.

Examples:
  hush k8s secret app.enc.yaml --name app -n prod | kubectl apply -f -
  hush k8s secret tls.enc.yaml --name web-tls --type kubernetes.io/tls
  hush k8s secret docker.enc.json --name pull --type kubernetes.io/dockerconfigjson --key .dockerconfigjson
  hush k8s secret app.enc.yaml --name db --extract db --string-data`;

const PLUGIN_HELP = `
Writes a small shell script at kustomize's legacy exec plugin path,
$KUSTOMIZE_PLUGIN_HOME (else $XDG_CONFIG_HOME/kustomize/plugin, else ~/.config/kustomize/plugin)
/hush/v1/secretgenerator/SecretGenerator, that runs \`hush k8s kustomize-plugin\`. It runs this
hush: \`hush\` when that is this hush on PATH, else this node and script by absolute path
(--command to choose). With --ksops, also at viaduct.ai/v1/ksops/ksops, so kustomizations
written for ksops build with hush. Then: kubectl kustomize --enable-alpha-plugins DIR.`;

/** `hush k8s` and its subcommands. */
export const command: CommandSpec = { name: "k8s", define: defineK8s };

function defineK8s(program: Command): void {
  const k8s = program.command("k8s").description("Kubernetes: Secret manifests from encrypted files, a kustomize generator (docs/kubernetes.md)");

  k8s
    .command("secret")
    .description("print a v1 Secret manifest made from encrypted files (never written to disk)")
    .argument("<files...>", "encrypted files (YAML, JSON, dotenv, INI or binary)")
    .requiredOption("--name <name>", "the Secret's name")
    .option("-n, --namespace <ns>", "the Secret's namespace")
    .option("--type <type>", "Opaque (default), kubernetes.io/tls, kubernetes.io/dockerconfigjson, kubernetes.io/basic-auth, …")
    .option("--extract <path>", "only this part, e.g. db or db.password (a map gives its values, a value one key)")
    .option("--key <key>", "the whole file (or the extracted value) as this one key")
    .option("--label <k=v>", "a label (repeatable)", repeatable)
    .option("--annotation <k=v>", "an annotation (repeatable)", repeatable)
    .option("--string-data", "write stringData (plain text) instead of base64 data")
    .addOption(new Option("--input-type <type>", "format of the files (default: from the names)").choices(["yaml", "json", "dotenv", "ini", "binary"]))
    .addHelpText("after", SECRET_HELP)
    .action(async (files: string[], f: SecretFlags) => {
      const { runK8sSecret } = await import("./k8s.js");
      await runK8sSecret(files, f);
    });

  k8s
    .command("kustomize-plugin")
    .description("the kustomize generator: a config file (legacy exec plugin), or a ResourceList on stdin (KRM function)")
    .argument("[config]", "the generator config (hush/v1 SecretGenerator, or viaduct.ai/v1 ksops)")
    .addHelpText(
      "after",
      `
kustomize runs this through the script \`hush k8s install-kustomize-plugin\` writes. Files named
in the config are read only inside the current directory (the kustomization's), or inside
HUSH_KUSTOMIZE_ROOT when set. See docs/kubernetes.md for the config's fields.`,
    )
    .action(async (config: string | undefined) => {
      const { runKustomizePlugin } = await import("./k8s.js");
      await runKustomizePlugin(config);
    });

  k8s
    .command("install-kustomize-plugin")
    .description("install the generator where kustomize finds legacy exec plugins")
    .option("--ksops", "also answer ksops's generator (viaduct.ai/v1, kind ksops)")
    .option("--command <cmd>", "how the plugin runs hush (default: this hush)")
    .option("--force", "replace a plugin hush did not write (e.g. a ksops binary)")
    .addHelpText("after", PLUGIN_HELP)
    .action(async (f: { ksops?: boolean; command?: string; force?: boolean }) => {
      const { runInstallKustomizePlugin } = await import("./k8s.js");
      await runInstallKustomizePlugin(f);
    });
}
