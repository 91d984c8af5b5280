/**
 * HashiCorp Vault transit (SOPS-FORMAT §8.7): key URIs `https://vault:8200/v1/transit/keys/k`. The
 * client is `vault-client.ts` (plain fetch, no SDK).
 */
import { field, splitList, defineKeyService } from "./service.js";

export const vault = defineKeyService({
  kind: "hc_vault",
  idField: "key_name",
  entryFields: ["created_at", "enc", "engine_path", "key_name", "vault_address"],
  alwaysFields: [],
  alwaysInGroup: true,
  order: { load: 4, flags: 5, config: 6 },
  config: {
    flat: "hc_vault_transit_uri",
    flatForm: "csv",
    group: "hc_vault",
    groupSpecs: (v) => v.strings().map((s) => s.trim()),
  },
  flags: {
    recipients: { name: "hc-vault-transit", value: "uris", help: "Vault transit key URIs, comma-separated" },
    env: "SOPS_VAULT_URIS",
    listName: "Vault transit key URIs",
  },
  specsFromString: (csv) => splitList(csv),
  specFromEntry: (e) => `${field(e, "vault_address")}/v1/${field(e, "engine_path")}/keys/${field(e, "key_name")}`,
  secretEnv: ["VAULT_TOKEN", "VAULT_SECRET_ID"],
  async load() {
    const { vaultRecipient, loadVaultUnwrapper } = await import("./vault-client.js");
    return { recipient: vaultRecipient, unwrapper: loadVaultUnwrapper };
  },
});
