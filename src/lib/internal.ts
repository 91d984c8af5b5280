/**
 * The library's door for hush's own upper layers (`cli`, `git`, `exec`, `action`, `team`): the
 * operations they run and the few helpers they share, so that nothing above `lib` imports `core`,
 * `formats`, `keys`, `config` or `util` directly. Not part of the public API (`index.ts` is): names
 * here may change between releases.
 *
 * No export here hands out a data key: operations unwrap it, use it and zero-fill it themselves
 * (test/lib-data-key.test.ts). `decryptHeld` (files.ts) is deliberately not exported here.
 */

// ---- whole operations ----
export { decryptText, parseDocument } from "./files.js";
export { encryptAsConfigured, encryptPlanned, encryptReusing, isEditableFormat, isEncryptedFile, planEncryption, regenerateValues, setValues, unsetValue } from "./operations.js";
export type { EditableFormat } from "./operations.js";
export { entryLabel, rewriteBytes, rotateText } from "./rewrite.js";
export { DEFAULT_JOBS, mapLimit, updateKeysSession, updateKeysText } from "./updatekeys.js";
export { mergeEncrypted } from "./merge.js";
export type { ConflictChooser, MergeChoice, MergeConflict } from "./merge.js";
export { configFileFor, ruleSpecsFromConfigText, type KeySpec } from "./recipients.js";
export { encryptionProblems, isSealedText, storedMetadata } from "./inspect.js";
export { withMetadataShown, withoutMetadataShown } from "./edit-view.js";
export { changeKeyGroups } from "./groups.js";
export { findPath, openDocument, pathLabel, scalars } from "./plain.js";
export type { OpenedDocument } from "./plain.js";
export { formatForSecretsPath, load, readSource } from "./load.js";
export { layerEnv } from "./env-precedence.js";
export { decrypt } from "./documents.js";
export { secretEntries, type SecretEntry } from "./secret-entries.js";
export { kubernetesPathRegex, withKubernetesRule } from "./kubernetes-rule.js";
export { importDotenv, importEnv, migrateRequest, nodeStyleDotenvNote, readNodeDotenv, type DotenvImportChange } from "./migrate.js";

// ---- helpers from the floors below: plain functions and types, no key material ----
export { privateTempDir, readInput, replaceRegularFile, stdoutLooksClosed, writeFileAtomic } from "../util/fs.js";
export { lockFile, withFileLock } from "../util/lock.js";
export { shellQuote, splitCommand } from "../util/shlex.js";
export { selfCommand } from "../util/self-command.js";
export { formatTreePath, type TreePath } from "../model/tree-path.js";
export { CELL_RENDERERS, emitTrees, formatNameForPath, isFormatName, parseInput } from "../formats/index.js";
export type { FormatName, TreeMap, TreeNode } from "../model/tree.js";
export { parseSetValue } from "../formats/cst-edit.js";
export { RULE_NAMES } from "../model/metadata.js";
export type { KeyKind, Metadata, SelectionRules } from "../model/metadata.js";
export { Keyring, type KeyringOptions } from "../keys/registry.js";
export { defaultAgeKeyFile, loadAgeIdentities, parseAgeRecipients } from "../keys/age-client.js";
export { appendNewAgeIdentity } from "../keys/age-key-file.js";
export { CONFIG_FILE_NAME, displayPath, findConfigFile, keySpecsFromFlags, loadConfig, loadEffectiveConfig, matchPath, specsFromString, parseConfig, parseKmsContext, selectCreationRule, storeIndent } from "../config/index.js";
export { limitsFor, parseDuration, stateOf } from "../config/rotation-policy.js";
export type { AppliedLimits, RotationLimits, RotationPolicy, RotationState } from "../config/rotation-policy.js";
export { generateValue, parseGenerateSpec } from "./generate.js";
export type { KeyFlags, SopsConfig, StoresConfig } from "../config/index.js";
export { addAgeRecipient, ageRecipientsByRule, initialConfig, removeAgeRecipient } from "../config/edit.js";
// Env flattening lives on the ground floor (model/env.ts), which the Action may import itself;
// re-exported so that lib's door is complete.
export { treeToEnv, valToString, type EnvSourceEntry } from "../model/env.js";

/**
 * For a bundle that holds google-gax itself (the GitHub Action): how to load its one copy. The GCP
 * KMS module is imported only to receive it, so no other command loads it.
 */
export async function provideGax(load: () => Promise<unknown>): Promise<void> {
  (await import("../keys/gcp-kms-client.js")).provideGax(load);
}
