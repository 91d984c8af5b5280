/**
 * AWS KMS (SOPS-FORMAT §8.5): key ARNs, optionally `arn+arn:aws:iam::…:role/r` to assume a role,
 * with an encryption context and an AWS profile. The client is `aws-kms-client.ts` (the AWS SDK
 * loads only when a file uses it).
 */
import { HushError } from "../errors.js";
import type { RecipientSpec } from "./key-source.js";
import { field, noSpaces, splitList, defineKeyService, type KmsContext } from "./service.js";

/**
 * The spec of one KMS key from sops's ARN string syntax: `arn[+arn:aws:iam::…:role/name]`, spaces
 * removed, the role split at `+arn:aws:iam::` (`kms.NewMasterKeyFromArn`).
 */
function kmsSpec(arnString: string, context: KmsContext = {}, awsProfile = ""): Record<string, unknown> {
  const s = noSpaces(arnString);
  const at = s.indexOf("+arn:aws:iam::");
  return {
    arn: at > 0 ? s.slice(0, at) : s,
    role: at > 0 ? s.slice(at + 1) : "",
    aws_profile: awsProfile,
    context: { ...context },
  };
}

/**
 * Parses `--encryption-context`: `k1:v1,k2:v2`, each pair split at its only colon, nothing trimmed
 * (`kms.ParseKMSContext`). Returns undefined for an empty string; a malformed one is sops's exit 6.
 */
export function parseKmsContext(text: string | undefined): KmsContext | undefined {
  if (text === undefined || text === "") return undefined;
  const out: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const kv = pair.split(":");
    if (kv.length !== 2) {
      throw new HushError(
        "INVALID_KMS_CONTEXT",
        "invalid KMS encryption context format: expected key:value pairs separated by commas",
        "for example --encryption-context app:web,env:prod",
      );
    }
    out[kv[0]!] = kv[1]!;
  }
  return out;
}

const str = (s: RecipientSpec, f: string): string => (typeof s === "string" ? (f === "arn" ? s : "") : typeof s[f] === "string" ? (s[f] as string) : "");

export const awsKms = defineKeyService({
  kind: "kms",
  idField: "arn",
  entryFields: ["arn", "aws_profile", "context", "created_at", "enc", "role"],
  alwaysFields: ["aws_profile"],
  mapFields: ["context"],
  order: { load: 0, flags: 0, config: 2 },
  config: {
    flat: "kms",
    flatForm: "csv",
    group: "kms",
    groupSpecs: (v) => v.objects().map((o) => ({ arn: o.string("arn"), role: o.string("role"), aws_profile: o.string("aws_profile"), context: o.map("context") })),
  },
  flags: {
    recipients: { name: "kms", short: "k", value: "arns", help: "AWS KMS key ARNs, comma-separated; arn+arn:aws:iam::…:role/r assumes a role" },
    env: "SOPS_KMS_ARN",
    extra: [
      { name: "aws-profile", value: "profile", help: "AWS profile for the --kms keys" },
      { name: "encryption-context", value: "pairs", help: "KMS encryption context for the --kms keys and a rule's flat kms keys: key:value,…" },
    ],
    listName: "AWS KMS ARNs",
  },
  specsFromString: (csv, o) => splitList(csv).map((s) => kmsSpec(s, o.context, o.awsProfile ?? "")),
  specFromEntry: (e) => ({ arn: field(e, "arn"), role: field(e, "role"), aws_profile: field(e, "aws_profile"), context: (e["context"] as Record<string, string> | undefined) ?? {} }),
  label(spec) {
    const role = str(spec, "role");
    return role ? `${str(spec, "arn")}+${role}` : str(spec, "arn");
  },
  // `alias/NAME` in a rule is the alias ARN hush stored for it (any region and account: the
  // environment chose them when the file was written).
  sameRecipient: (have, want) => /^alias\//.test(want) && /^arn:aws[\w-]*:kms:[^:]+:[0-9]+:alias\//.test(have) && have.endsWith(`:${want}`),
  dedupKey(spec) {
    // kms.MasterKey.ToString: arn[+role][|k:v,… sorted][|profile]
    const ctx = (typeof spec === "string" ? {} : (spec["context"] ?? {})) as Record<string, string>;
    const pairs = Object.keys(ctx)
      .sort()
      .map((c) => `${c}:${ctx[c]}`)
      .join(",");
    const role = str(spec, "role");
    const profile = str(spec, "aws_profile");
    return `${str(spec, "arn")}${role ? `+${role}` : ""}${pairs ? `|${pairs}` : ""}${profile ? `|${profile}` : ""}`;
  },
  secretEnv: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"],
  async load() {
    const { kmsRecipient, loadKmsUnwrapper } = await import("./aws-kms-client.js");
    return { recipient: kmsRecipient, unwrapper: loadKmsUnwrapper };
  },
});
