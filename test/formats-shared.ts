/** Helpers shared by the dotenv, INI and binary format tests. */
import { readdirSync } from "node:fs";
import { decryptValue } from "../src/core/cipher.js";
import { readMetadata } from "../src/core/metadata.js";
import { type Metadata, type WrappedKey } from "../src/model/metadata.js";
import { parseDocument } from "../src/lib/files.js";
import type { FormatName } from "../src/formats/index.js";
import { FIXTURES } from "./helpers.js";

/** A fixed data key and a dummy key entry: enough to encrypt and decrypt without any key service. */
export const DATA_KEY = Buffer.alloc(32, 7);
export const FAKE_KEYS: WrappedKey[][] = [
  [{ kind: "age", entry: { recipient: "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", enc: "-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n-----END AGE ENCRYPTED FILE-----\n" } }],
];
export const ENCRYPT_OPTS = { groups: [], dataKey: DATA_KEY, wrappedKeys: FAKE_KEYS } as const;

/** `*.enc.<ext>` fixtures and their `*.expected.<ext>` plaintext. */
export function fixturePairs(ext: string): { enc: string; expected: string }[] {
  const names = readdirSync(FIXTURES);
  return names
    .filter((f) => f.endsWith(`.enc.${ext}`))
    .map((enc) => ({ enc, expected: enc.replace(/\.enc\.(\w+)$/, `.expected.$1`) }))
    .filter((p) => names.includes(p.expected));
}

/** The metadata of an encrypted text, read through hush's own format reader. */
export function metadataOfText(text: string, format: FormatName): Metadata {
  return readMetadata(parseDocument(text, format).rawMetadata());
}

/** Decrypts an `ENC[...]` string with a path's additional data (independent of the formats). */
export function open(enc: string, path: readonly string[], key: Uint8Array = DATA_KEY): string {
  return decryptValue(key, enc, `${path.join(":")}:`).text;
}

/** Strings that stress every format: quotes, comment characters, `=`, spaces, newlines, escapes. */
export const NASTY_VALUES = [
  "",
  "plain",
  " leading space",
  "trailing space ",
  "  both  ",
  "tab\there",
  'double "quotes"',
  "single 'quotes'",
  "back`tick",
  `all "three' kinds\``,
  "hash # inside",
  "#starts with hash",
  "semi; colon",
  "a=b=c",
  "key: value",
  "line one\nline two",
  "trailing newline\n",
  "\nleading newline",
  "literal \\n backslash-n",
  "backslash at end\\",
  "windows\r\nline",
  "unicode ünïcødé ✓ 🎉",
  '"fully quoted"',
  "'fully single'",
  "ENC[not really]",
];

/**
 * Tricky lines: how sops reads each (key and value), so how hush must. Every one of them also goes
 * through `hush encrypt` and sops's Go library in test/dotenv-sopslib.test.ts.
 */
export const TRICKY_DOTENV: [line: string, key: string, value: string][] = [
  ['Q="x y"', "Q", '"x y"'],
  ["S='single'", "S", "'single'"],
  ["B=`back`", "B", "`back`"],
  ["P=hunter2 #1", "P", "hunter2 #1"],
  ["H=hash#inside", "H", "hash#inside"],
  ["export E=yes", "export E", "yes"],
  ["URL=https://x.test/?a=b&c=d", "URL", "https://x.test/?a=b&c=d"],
  ["EQ==leading", "EQ", "=leading"],
  ["T=trail  ", "T", "trail  "],
  ["foo = bar", "foo ", " bar"],
  ["  INDENTED=1", "  INDENTED", "1"],
  ["ML=a\\nb", "ML", "a\nb"],
  ['DQ="a\\nb"', "DQ", '"a\nb"'],
  ["TAB=\tx\t", "TAB", "\tx\t"],
  ["EMPTY=", "EMPTY", ""],
  ["=novalue", "", "novalue"],
  ["BS=C:\\dir\\new", "BS", "C:\\dir\new"],
  ["CR=crlf\r", "CR", "crlf\r"],
  ["UNI=pässwörd ✓", "UNI", "pässwörd ✓"],
  ["  # x=1", "  # x", "1"],
];
