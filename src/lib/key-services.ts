/**
 * The key services as the programs on top see them (the CLI's key flags, rotate's `--add-*`/`--rm-*`,
 * `--decryption-order`): re-exported from the descriptors in `keys/index.ts`, so that cli/ imports
 * only lib. Cheap: descriptors load no SDK.
 */
export { isKeyKind, KEY_KINDS, KEY_MATERIAL_ENV, keyFlagOptions, rotateFlagOptions } from "../keys/index.js";
