// The read-once collector for commands over many files (src/cli/bulk.ts): a text read while
// collecting is used under the lock only while the file is still the one that was read.
import { chmodSync, mkdirSync, renameSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collectEncryptedTexts, modeIfUnchanged, readTextWithIdentity } from "../src/cli/bulk.js";
import { withTempDir } from "./helpers.js";

describe("reading many files once", () => {
  it("sees a file replaced by rename, rewritten in place (same size), or touched", async () => {
    await withTempDir(async (dir) => {
      const f = join(dir, "a.enc.yaml");
      writeFileSync(f, "a: 1\nsops:\n    mac: x\n");
      const first = readTextWithIdentity(f);
      expect(first.text).toBe("a: 1\nsops:\n    mac: x\n");
      chmodSync(f, 0o640);
      // chmod moves ctime: read again, then the mode comes back for the writer.
      const chmoded = readTextWithIdentity(f);
      expect(modeIfUnchanged(f, chmoded.id)).toBe(0o640);
      expect(modeIfUnchanged(f, first.id)).toBeUndefined();
      // A symlink to the same file is not "the file under its own name": the caller reads it again.
      symlinkSync(f, join(dir, "link.enc.yaml"));
      const viaLink = readTextWithIdentity(join(dir, "link.enc.yaml"));
      expect(viaLink.id.ino).toBe(chmoded.id.ino);
      expect(modeIfUnchanged(join(dir, "link.enc.yaml"), viaLink.id)).toBeUndefined();
      // Replaced by rename, as every hush writer does: a new inode, even with the same bytes.
      writeFileSync(join(dir, "tmp"), "a: 1\nsops:\n    mac: x\n");
      renameSync(join(dir, "tmp"), f);
      expect(modeIfUnchanged(f, chmoded.id)).toBeUndefined();
      // Rewritten in place with as many bytes: mtime/ctime move.
      const second = readTextWithIdentity(f);
      writeFileSync(f, "a: 2\nsops:\n    mac: y\n");
      utimesSync(f, new Date(), new Date(Date.now() + 5000));
      expect(modeIfUnchanged(f, second.id)).toBeUndefined();
      // Gone: not unchanged.
      const third = readTextWithIdentity(f);
      renameSync(f, join(dir, "elsewhere"));
      expect(modeIfUnchanged(f, third.id)).toBeUndefined();
    });
  });

  it("lists a directory in sorted order, keeps encrypted files with their text, skips .git and plain files", async () => {
    await withTempDir(async (dir) => {
      mkdirSync(join(dir, "d", "sub"), { recursive: true });
      mkdirSync(join(dir, "d", ".git"));
      writeFileSync(join(dir, "d", "b.enc.yaml"), "b: 1\nsops:\n    mac: x\n");
      writeFileSync(join(dir, "d", "a.enc.json"), '{"sops": {"mac": "x"}}\n');
      writeFileSync(join(dir, "d", "plain.yaml"), "nothing: here\n");
      writeFileSync(join(dir, "d", ".git", "c.enc.yaml"), "c: 1\nsops:\n    mac: x\n");
      writeFileSync(join(dir, "d", "sub", "c.enc.yaml"), "c: 1\nsops:\n    mac: x\n");
      symlinkSync(join(dir, "d", "sub"), join(dir, "d", "link"));
      const { files, texts } = await collectEncryptedTexts([join(dir, "d")]);
      expect(files.map((f) => f.slice(dir.length + 1))).toEqual(["d/a.enc.json", "d/b.enc.yaml", "d/link/c.enc.yaml", "d/sub/c.enc.yaml"]);
      expect(texts.get(join(dir, "d", "b.enc.yaml"))?.text).toBe("b: 1\nsops:\n    mac: x\n");
      // A file named explicitly is kept (its own error is reported later), and not read here.
      const named = await collectEncryptedTexts([join(dir, "d", "plain.yaml")]);
      expect(named.files).toEqual([join(dir, "d", "plain.yaml")]);
      expect(named.texts.size).toBe(0);
      await expect(collectEncryptedTexts([join(dir, "missing")])).rejects.toThrow(/file not found/);
    });
  });
});
