/**
 * Huawei Cloud KMS (sops ≥ 3.12, `hckms/keysource.go`): key ids `region:uuid`. The client is
 * `hckms-client.ts` (plain fetch and SDK-HMAC-SHA256 request signing; loaded only when used).
 */
import { field, splitList, defineKeyService } from "./service.js";

export const hckms = defineKeyService({
  kind: "hckms",
  idField: "key_id",
  entryFields: ["created_at", "enc", "key_id"],
  alwaysFields: [],
  order: { load: 2, flags: 2, config: 4 },
  config: {
    flat: "hckms",
    // A list only, as in sops's config struct (`[]string`, no comma string form).
    flatForm: "list",
    group: "hckms",
    groupSpecs: (v) => v.objects().map((o) => o.string("key_id")),
  },
  flags: {
    recipients: { name: "hckms", value: "ids", help: "HuaweiCloud KMS key ids region:uuid, comma-separated" },
    env: "SOPS_HUAWEICLOUD_KMS_IDS",
    listName: "HuaweiCloud KMS key ids (region:uuid)",
  },
  specsFromString: (csv) => splitList(csv),
  specFromEntry: (e) => field(e, "key_id"),
  secretEnv: ["HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN"],
  async load() {
    const { hckmsRecipient, loadHckmsUnwrapper } = await import("./hckms-client.js");
    return { recipient: hckmsRecipient, unwrapper: loadHckmsUnwrapper };
  },
});
