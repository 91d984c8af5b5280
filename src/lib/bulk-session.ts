/**
 * What the operations of one run over many files share (`updatekeys`, `rotate` of a directory):
 * the `.sops.yaml` (found, read and parsed once, not once per file), the keyring (identities and
 * key-service clients load once), and the recipients of the rules (an age recipient parsed once, a
 * KMS recipient — and its SDK client — made once), instead of once per file (issue 20).
 */
import { loadEffectiveConfig, type ConfigOptions, type SopsConfig } from "../config/index.js";
import type { KeySpec } from "../config/key-specs.js";
import type { KeyRecipient, RecipientSpec } from "../keys/key-source.js";
import { Keyring, recipientFor } from "../keys/registry.js";
import type { KeyKind } from "../model/metadata.js";
import type { SopsBlockDocument } from "./sops-block.js";

/** Shared state for a run over many files with the same options ({@link updateKeysSession}). */
export interface UpdateKeysSession {
  readonly keyring: Keyring;
  /** The config as loaded with the run's options (cwd, --config, SOPS_CONFIG). */
  readonly config: Promise<{ config: SopsConfig | undefined }>;
  readonly recipients: Map<string, Promise<KeyRecipient>>;
  /** Documents read by a dry run, by path, reused by the run that applies it to the same text. */
  readonly parsed: Map<string, { text: string; doc: SopsBlockDocument }>;
}

/** A session for one run over many files with the same options. */
export function updateKeysSession(opts: ConfigOptions & { keyring?: Keyring } = {}): UpdateKeysSession {
  const config = loadEffectiveConfig(opts).then((c) => ({ config: c }));
  // A bad config is reported by every file that awaits it; until then it must not count as an
  // unhandled rejection (which would end the process with a stack trace).
  config.catch(() => {});
  return {
    keyring: opts.keyring ?? new Keyring(opts.env ? { env: opts.env } : {}),
    config,
    recipients: new Map(),
    parsed: new Map(),
  };
}

/** `recipientFor`, made once per run for each distinct recipient when there is a session. */
export function cachedRecipient(
  k: KeySpec | { kind: KeyKind; spec: RecipientSpec },
  env: NodeJS.ProcessEnv | undefined,
  session: UpdateKeysSession | undefined,
): Promise<KeyRecipient> {
  if (!session) return recipientFor(k.kind, k.spec, env);
  // One session, one environment: the recipient is named by its kind and spec.
  const id = JSON.stringify([k.kind, k.spec]);
  let r = session.recipients.get(id);
  if (!r) {
    r = recipientFor(k.kind, k.spec, env);
    session.recipients.set(id, r);
    // A failure is reported for every file that needs it, not cached as a rejection forever.
    r.catch(() => session.recipients.delete(id));
  }
  return r;
}
