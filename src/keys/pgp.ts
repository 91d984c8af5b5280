/**
 * OpenPGP (SOPS-FORMAT §8.4): fingerprints; GnuPG first, openpgp.js with key files as the fallback.
 * The client is `pgp-client.ts` (openpgp loads only when a key file is actually needed).
 */
import { field, noSpaces, splitList, defineKeyService } from "./service.js";

export const pgp = defineKeyService({
  kind: "pgp",
  idField: "fp",
  entryFields: ["created_at", "enc", "fp"],
  alwaysFields: [],
  order: { load: 5, flags: 4, config: 1 },
  config: {
    flat: "pgp",
    flatForm: "csv",
    group: "pgp",
    groupSpecs: (v) => v.strings().filter((p) => p.trim() !== "").map(noSpaces),
  },
  flags: {
    recipients: { name: "pgp", short: "p", value: "fingerprints", help: "PGP fingerprints, comma-separated" },
    env: "SOPS_PGP_FP",
    listName: "PGP fingerprints",
  },
  specsFromString: (csv) => splitList(csv).map(noSpaces),
  specFromEntry: (e) => field(e, "fp"),
  secretEnv: [],
  async load() {
    const { pgpRecipient, loadPgpKeyring } = await import("./pgp-client.js");
    return { recipient: pgpRecipient, unwrapper: loadPgpKeyring };
  },
});
