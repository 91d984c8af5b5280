/**
 * The public library. Everything a command does is reachable from here, so the CLI, the git
 * drivers, the GitHub Action and user code share one implementation.
 */
export { decryptText, encryptText, parseDocument } from "./files.js";
export type { DecryptTextOptions, DecryptTextResult, EncryptTextOptions } from "./files.js";
export { load, Secrets, formatForSecretsPath } from "./load.js";
export type { LoadOptions, SecretPath, SecretValue, SecretsSource } from "./load.js";
export { decrypt, decryptBytes, encrypt } from "./documents.js";
export { findPath, openDocument, pathLabel, scalars } from "./plain.js";
export type { OpenOptions, OpenedDocument, ScalarEntry } from "./plain.js";
export type { DecryptOptions, EncryptOptions } from "./documents.js";
export type { EnvOptions } from "../model/env.js";
export { HushError, EXIT_CODE, isHushError } from "../errors.js";
export type { ErrorCode } from "../errors.js";
export { Keyring } from "../keys/registry.js";
export { encryptionSettings, findConfigFile, keySpecsFromFlags, loadConfig, parseConfig, recipientsForGroups, rulesForFile } from "../config/index.js";
export type { CreationRule, EncryptionRequest, EncryptionSettings, KeySpec, ResolvedCreationRule, SopsConfig } from "../config/index.js";
export { ageRecipient, parseAgeRecipients, generateAgeKeyFile } from "../keys/age-client.js";
export { loadAgeIdentities } from "./age-identities.js";
export type { AgeIdentities } from "./age-identities.js";
export type { ConfigResult } from "./config-load.js";
export { parseTreePath } from "../model/tree-path.js";
export { SOPS_VERSION } from "../model/metadata.js";
export type { Metadata, SelectionRules } from "../model/metadata.js";
export type { FormatName } from "../model/tree.js";
