/**
 * age (SOPS-FORMAT §8.3): recipients `age1…`, `age1pq1…`, plugin and SSH recipients; identities
 * from SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, SSH keys and the default keys file.
 * The client is `age-client.ts`.
 */
import { HushError } from "../errors.js";
import { field, splitList, defineKeyService } from "./service.js";

export const age = defineKeyService({
  kind: "age",
  idField: "recipient",
  entryFields: ["enc", "recipient"],
  alwaysFields: ["enc", "recipient"],
  alwaysInGroup: true,
  order: { load: 6, flags: 6, config: 0 },
  config: {
    flat: "age",
    flatForm: "csv",
    group: "age",
    // Each item may itself be comma-separated (`age.MasterKeysFromRecipients`).
    groupSpecs: (v) => v.strings().flatMap(splitList),
  },
  flags: {
    recipients: { name: "age", short: "a", value: "recipients", help: "age recipients, comma-separated" },
    env: "SOPS_AGE_RECIPIENTS",
    listName: "age recipients",
  },
  specsFromString: (csv) => splitList(csv),
  specFromEntry: (e) => field(e, "recipient"),
  secretEnv: ["SOPS_AGE_KEY", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_CMD"],
  async load() {
    const { ageRecipient, loadAgeIdentities } = await import("./age-client.js");
    return {
      recipient(spec, env) {
        if (typeof spec !== "string") throw new HushError("CONFIG", "an age recipient must be a string (age1…)");
        return ageRecipient(spec.trim(), env);
      },
      async unwrapper(env) {
        const set = await loadAgeIdentities(env);
        return {
          kind: "age",
          problems: set.problems,
          unwrap: (entry) => set.unwrap(entry),
          describe: () => {
            const ssh = set.sshNotes.length > 0 ? `; SSH keys: ${set.sshNotes.join(", ")}` : "; no SSH key found";
            return set.count === 0
              ? `no age identity found (set SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, SOPS_AGE_KEY_CMD or SOPS_AGE_SSH_PRIVATE_KEY_FILE, or create ~/.config/sops/age/keys.txt)${ssh}`
              : `none of the ${set.count} age ${set.count === 1 ? "identity" : "identities"} loaded matches${ssh}`;
          },
        };
      },
    };
  },
});
