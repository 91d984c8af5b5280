// replaceRegularFile (src/util/fs.ts), the writer of updatekeys/rotate over many files: the same
// result as writeFileAtomic for a regular file whose mode the caller already knows — same bytes,
// same mode, a new inode (replaced by rename, never written in place), and nothing left beside it,
// also when the write fails.
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HushError } from "../src/errors.js";
import { replaceRegularFile, writeFileAtomic } from "../src/util/fs.js";
import { withTempDir } from "./helpers.js";

describe("replaceRegularFile", () => {
  it("gives the bytes and mode writeFileAtomic gives, by rename, leaving no temp file", async () => {
    await withTempDir(async (dir) => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.string(), fc.uint8Array({ maxLength: 5000 })),
          fc.constantFrom(0o600, 0o640, 0o644, 0o400, 0o755),
          async (data, mode) => {
            const a = join(dir, "a.enc.yaml");
            const b = join(dir, "b.enc.yaml");
            for (const f of [a, b]) {
              writeFileSync(f, "old\n");
              chmodSync(f, mode);
            }
            const inode = lstatSync(b).ino;
            await writeFileAtomic(a, data);
            await replaceRegularFile(b, data, lstatSync(b).mode & 0o7777);
            expect(readFileSync(b)).toEqual(readFileSync(a));
            expect(statSync(b).mode & 0o7777).toBe(statSync(a).mode & 0o7777);
            expect(statSync(b).mode & 0o7777).toBe(mode);
            expect(lstatSync(b).ino).not.toBe(inode);
            expect(readdirSync(dir).sort()).toEqual(["a.enc.yaml", "b.enc.yaml"]);
          },
        ),
        { numRuns: 40 },
      );
    });
  });

  it("fails with one typed line and leaves nothing behind", async () => {
    await withTempDir(async (dir) => {
      mkdirSync(join(dir, "d"));
      const e = await replaceRegularFile(join(dir, "d", "gone", "x.enc.yaml"), "x", 0o600).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(HushError);
      expect((e as HushError).message).toBe(`cannot write ${join(dir, "d", "gone", "x.enc.yaml")}: ENOENT`);
      expect(readdirSync(join(dir, "d"))).toEqual([]);
      // A rename that fails (the target became a directory): the temp file is removed.
      mkdirSync(join(dir, "d", "y.enc.yaml"));
      await expect(replaceRegularFile(join(dir, "d", "y.enc.yaml"), "y", 0o600)).rejects.toThrow(/^cannot write .*y\.enc\.yaml: E/);
      expect(readdirSync(join(dir, "d"))).toEqual(["y.enc.yaml"]);
    });
  });
});
