/** `hush encrypt`: encrypt a plaintext file's values for the given recipients. */
import { HushError } from "../../errors.js";
import { RULE_NAMES, type SelectionRules } from "../../core/metadata.js";
import { encryptText } from "../../lib/files.js";
import { readInputFile, writeOutput, type IoOptions } from "../common.js";

interface EncryptFlags extends IoOptions {
  age?: string;
  indent?: number;
  macOnlyEncrypted?: boolean;
  [rule: string]: unknown;
}

const camel = (s: string) => s.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());

export async function runEncrypt(file: string | undefined, flags: EncryptFlags): Promise<void> {
  const rules: SelectionRules = {};
  for (const name of RULE_NAMES) {
    const v = flags[camel(name)];
    if (typeof v === "string") rules[name] = v;
  }
  if (Object.keys(rules).length > 1) {
    throw new HushError("CONFLICTING_PARAMETERS", `use only one of ${RULE_NAMES.map((r) => `--${r.replace(/_/g, "-")}`).join(", ")}`);
  }
  const ageList = flags.age ?? process.env["SOPS_AGE_RECIPIENTS"];
  if (!ageList || ageList.trim() === "") {
    throw new HushError(
      "NO_ENCRYPTION_KEY",
      "no recipients given",
      "pass --age age1… (or set SOPS_AGE_RECIPIENTS); `hush keygen` prints your public key",
    );
  }
  const input = await readInputFile(file, flags);
  const { ageRecipient, parseAgeRecipients } = await import("../../keys/age.js");
  const recipients = parseAgeRecipients(ageList).map(ageRecipient);
  const { text } = await encryptText(input.text, {
    format: input.format,
    outputFormat: input.outputFormat,
    groups: [recipients],
    rules,
    ...(flags.macOnlyEncrypted ? { macOnlyEncrypted: true } : {}),
    ...(flags.indent !== undefined ? { indent: flags.indent } : {}),
  });
  await writeOutput(input, { ...flags, ...(flags.inPlace ? {} : {}) }, text);
}
