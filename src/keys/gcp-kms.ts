/**
 * Google Cloud KMS (SOPS-FORMAT §8.6): resource ids `projects/…/cryptoKeys/…`. The client is
 * `gcp-kms-client.ts` (the Cloud KMS library loads only when a file uses it).
 */
import { field, noSpaces, splitList, defineKeyService } from "./service.js";

export const gcpKms = defineKeyService({
  kind: "gcp_kms",
  idField: "resource_id",
  entryFields: ["created_at", "enc", "resource_id"],
  alwaysFields: [],
  order: { load: 1, flags: 1, config: 3 },
  config: {
    flat: "gcp_kms",
    flatForm: "csv",
    group: "gcp_kms",
    groupSpecs: (v) => v.objects().map((o) => o.string("resource_id")),
  },
  flags: {
    recipients: { name: "gcp-kms", value: "ids", help: "GCP KMS resource ids, comma-separated" },
    env: "SOPS_GCP_KMS_IDS",
    listName: "GCP KMS resource ids",
  },
  specsFromString: (csv) => splitList(csv).map(noSpaces),
  specFromEntry: (e) => field(e, "resource_id"),
  secretEnv: ["GOOGLE_CREDENTIALS", "GOOGLE_OAUTH_ACCESS_TOKEN"],
  async load() {
    const { gcpKmsRecipient, loadGcpKmsUnwrapper } = await import("./gcp-kms-client.js");
    return { recipient: gcpKmsRecipient, unwrapper: loadGcpKmsUnwrapper };
  },
});
