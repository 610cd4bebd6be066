import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";

/**
 * A new embedded database starts as a copy of one made at build time, already
 * initialized and migrated: PGlite's initdb alone was ~80 % of a first start's
 * CPU (3.9 of 4.7 s here), and unpacking the copy costs about a quarter of
 * that. The copy is named by what it was made from (PGlite's version, every
 * migration), so a copy that does not match the running code is never found
 * and the database is created as before; migrations still run on it after.
 */

// Two levels below the package root both here (src/store/) and in the built server (dist/bin/main.js), which inlines this module.
const TEMPLATES_DIR = fileURLToPath(new URL("../../dist/pglite-templates", import.meta.url));

async function templatePath(migrationsDir: string): Promise<string> {
  const hash = createHash("sha256");
  const pglitePackage = join(dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite")), "..", "package.json");
  hash.update((JSON.parse(await readFile(pglitePackage, "utf8")) as { version: string }).version);
  for (const file of (await readdir(migrationsDir)).filter((f) => f.endsWith(".sql")).sort()) {
    hash.update(file).update(await readFile(join(migrationsDir, file)));
  }
  hash.update(await readFile(join(migrationsDir, "meta", "_journal.json")));
  return join(TEMPLATES_DIR, `${hash.digest("hex").slice(0, 16)}.tgz`);
}

/** The build's copy for this code, if there is one. */
export async function readTemplate(migrationsDir: string): Promise<Blob | undefined> {
  try {
    return new Blob([await readFile(await templatePath(migrationsDir))]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Makes the copy (in memory, then one file) unless it exists; older copies are removed. Run by `npm run build`. */
export async function writeTemplate(migrationsDir: string, options: PGliteOptions): Promise<string> {
  const path = await templatePath(migrationsDir);
  const existing = await readdir(TEMPLATES_DIR).catch(() => [] as string[]);
  if (existing.some((f) => join(TEMPLATES_DIR, f) === path)) return path;
  const pg = await PGlite.create(options);
  try {
    await migrate(drizzle(pg), { migrationsFolder: migrationsDir });
    const tarball = await pg.dumpDataDir("gzip");
    await rm(TEMPLATES_DIR, { recursive: true, force: true });
    await mkdir(TEMPLATES_DIR, { recursive: true });
    await writeFile(`${path}.tmp`, Buffer.from(await tarball.arrayBuffer()));
    await rename(`${path}.tmp`, path);
    return path;
  } finally {
    await pg.close();
  }
}
