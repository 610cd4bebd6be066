import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { CONSOLE_DIR } from "../server/console-assets.js";

/**
 * Builds the browser console into dist/console/: one hashed script, one
 * hashed stylesheet, and an index.html that names them. The page has no
 * inline script or style, so it runs under the server's strict CSP.
 */
export async function buildConsole(outDir: string = CONSOLE_DIR): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { app: fileURLToPath(new URL("./main.tsx", import.meta.url)) },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["chrome120", "firefox120", "safari17"],
    jsx: "automatic",
    minify: true,
    legalComments: "linked",
    define: { "process.env.NODE_ENV": '"production"' },
    entryNames: "assets/[name]-[hash]",
    assetNames: "assets/[name]-[hash]",
    outdir: outDir,
    metafile: true,
    logLevel: "warning",
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const script = outputs.find((n) => n.endsWith(".js"));
  const style = outputs.find((n) => n.endsWith(".css"));
  if (!script || !style) throw new Error(`console build made no script or stylesheet: ${outputs.join(", ")}`);
  const template = readFileSync(new URL("./index.html", import.meta.url), "utf8");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}/index.html`, template.replace("%SCRIPT%", `assets/${script}`).replace("%STYLE%", `assets/${style}`));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildConsole();
