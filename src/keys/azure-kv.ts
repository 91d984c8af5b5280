/**
 * Azure Key Vault (SOPS-FORMAT §8.8): key URLs `https://VAULT/keys/NAME[/VERSION]`. The client is
 * `azure-kv-client.ts` (the Azure SDK loads only when a file uses it).
 */
import { field, splitList, defineKeyService } from "./service.js";

export const azureKv = defineKeyService({
  kind: "azure_kv",
  idField: "name",
  entryFields: ["created_at", "enc", "name", "vault_url", "version"],
  alwaysFields: ["version"],
  order: { load: 3, flags: 3, config: 5 },
  config: {
    flat: "azure_keyvault",
    flatForm: "csv",
    group: "azure_keyvault",
    // The URL form every azure_kv loader reads: https://VAULT/keys/NAME[/VERSION].
    groupSpecs: (v) =>
      v.objects().map((o) => {
        const version = o.string("version");
        return `${o.string("vaultUrl").replace(/\/+$/, "")}/keys/${o.string("key")}${version ? `/${version}` : ""}`;
      }),
  },
  flags: {
    recipients: { name: "azure-kv", value: "urls", help: "Azure Key Vault key URLs, comma-separated" },
    env: "SOPS_AZURE_KEYVAULT_URLS",
    listName: "Azure Key Vault key URLs",
  },
  specsFromString: (csv) => splitList(csv),
  specFromEntry: (e) => `${field(e, "vault_url")}/keys/${field(e, "name")}${field(e, "version") ? `/${field(e, "version")}` : ""}`,
  // An Azure key named without a version matches any version of that key (updatekeys).
  sameRecipient: (have, want) => /\/keys\/[^/]+$/.test(want) && have.startsWith(`${want}/`),
  secretEnv: ["AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_PASSWORD", "HUSH_AZURE_TOKEN"],
  async load() {
    const { azureKvRecipient, loadAzureKvUnwrapper } = await import("./azure-kv-client.js");
    return { recipient: azureKvRecipient, unwrapper: loadAzureKvUnwrapper };
  },
});
