import { access } from "node:fs/promises";
import type { Command } from "commander";
import { KekVersionStatusSchema } from "../../gen/secrets/v1/service_pb.js";
import { loadConfig } from "../config.js";
import { destroyKeystoreKey, keystoreKeyPath } from "../crypto/kek-sources.js";
import { generateKekVersion } from "../secrets/keyring-loader.js";
import { KekStore } from "../store/kek-store.js";
import type { BatchResult, ValueKey } from "../store/secrets-store.js";
import { CliError, EXIT } from "./exit-codes.js";
import { API_ENV_HELP, type ApiOptions, addApiOptions, apiClient, serverAddress } from "./api.js";
import { helpAfter } from "./help.js";
import { LOCAL_ENV_HELP, withDatabase, withServices } from "./local.js";
import { auditLocal } from "./local-audit.js";
import { type OutputFormat, outputOption, printMessages, printObject, printRows } from "./output.js";
import { positiveInt } from "./parsers.js";

const kekEvent = (action: string, version: number) => ({ action, resourceType: "KEK", resourceId: String(version) });

/** `secretsctl kek …` and `secretsctl rewrap`: the key-encryption-key lifecycle, on the database directly. */
export function kekCommands(program: Command): void {
  const kek = program.command("kek").description("key-encryption keys: generate, list, activate, retire, verify (on the database directly)");

  const command = (name: string, description: string, examples: readonly string[]) => helpAfter(kek.command(name).description(description), examples, LOCAL_ENV_HELP);

  command("generate", "add a new KEK version (a random key in the keystore, or a new salt under the passphrase); inactive until activated", ["secretsctl kek generate", "secretsctl kek generate -o json"])
    .addOption(outputOption())
    .action(async (opts: { output: OutputFormat }) => {
      const config = loadConfig();
      await withDatabase(async (db) => {
        const version = await generateKekVersion(config.kek, new KekStore(db.db));
        await auditLocal(db, kekEvent("GenerateKek", version));
        if (opts.output === "json") printObject({ version, source: config.kek.kind }, "json");
        else process.stdout.write(`${version}\n`);
        process.stderr.write(`KEK version ${version} generated (${config.kek.kind}); activate it with: secretsctl kek activate --version ${version}\n`);
      });
    });

  addApiOptions(
    command("list", "KEK versions with state, fingerprint prefix and how many stored values each protects", [
      "secretsctl kek list",
      "secretsctl kek list --server          # through the running server's API (GetKeyringStatus, admin token in SECRETS_TOKEN)",
      "secretsctl kek list --server 10.0.0.5:50051 -o json",
    ]).addHelpText("after", `\nWith --server:${API_ENV_HELP}`),
    "--server [address]",
  )
    .addOption(outputOption())
    .action(async (opts: ApiOptions & { output: OutputFormat }) => {
      // Through the API only when asked: the database is the operator's way in when the service is down.
      if (opts.server !== undefined) {
        process.stderr.write(`secretsctl: through the API of ${serverAddress(opts.server)}\n`);
        const status = await apiClient(opts).getKeyringStatus({});
        printMessages(KekVersionStatusSchema, status.versions, opts.output, ["version", "state", "fingerprint_prefix", "value_count", "loaded"]);
        return;
      }
      await withDatabase(async (db) => {
        const store = new KekStore(db.db);
        const [rows, counts] = await Promise.all([store.list(), store.valueCounts()]);
        printRows(
          rows.map((r) => ({ version: r.version, state: r.state, source: r.source, fingerprint: r.fingerprint.slice(0, 12), values: counts.get(r.version) ?? 0, createdAt: r.createdAt, activatedAt: r.activatedAt })),
          opts.output,
        );
      });
    });

  command("activate", "wrap new values under this version from now on; running replicas switch within SECRETS_KEK_POLL_MS", ["secretsctl kek activate --version 2"])
    .requiredOption("--version <n>", "KEK version", positiveInt("--version"))
    .addOption(outputOption())
    .action(async (opts: { version: number; output: OutputFormat }) => {
      await withServices(async (s) => {
        // Opening the services loaded and fingerprint-checked every key, this version's included.
        if (!s.keyring.key(opts.version)) throw new CliError(`KEK version ${opts.version} is not a usable version (see secretsctl kek list)`, EXIT.notFound);
        await s.kekStore.activate(opts.version);
        await auditLocal(s.database, kekEvent("ActivateKek", opts.version));
        if (opts.output === "json") printObject({ version: opts.version, state: "active" }, "json");
        process.stderr.write(`KEK version ${opts.version} is active\n`);
      });
    });

  command("retire", "stop this version from ever decrypting again; refused while any stored value still uses it. Its key file stays on disk unless --destroy", [
    "secretsctl kek retire --version 1",
    "secretsctl kek retire --version 1 --destroy    # also overwrite and remove kek-1.key",
  ])
    .requiredOption("--version <n>", "KEK version", positiveInt("--version"))
    .option("--destroy", "once retired, overwrite the version's key file with random bytes and remove it (keystore only)")
    .addOption(outputOption())
    .action(async (opts: { version: number; destroy?: boolean; output: OutputFormat }) => {
      const { kek: source } = loadConfig();
      if (opts.destroy && source.kind !== "keystore") {
        throw new CliError("--destroy removes a keystore key file; a version derived from the passphrase has none", EXIT.usage);
      }
      await withDatabase(async (db) => {
        // Retired means no stored value uses the version, and a trigger refuses new ones: its key can go.
        const outcome = await new KekStore(db.db).retire(opts.version);
        if (!outcome.ok) throw new CliError(outcome.reason, EXIT.conflict);
        await auditLocal(db, kekEvent("RetireKek", opts.version));
        if (opts.output === "json") printObject({ version: opts.version, state: "retired" }, "json");
        process.stderr.write(`KEK version ${opts.version} is retired\n`);
        if (source.kind !== "keystore") return;
        const path = keystoreKeyPath(source.dir, opts.version);
        if (opts.destroy) {
          const destroyed = await destroyKeystoreKey(source.dir, opts.version);
          process.stderr.write(
            destroyed
              ? `${path} was overwritten and removed; copies of it elsewhere (backups, other keystores) are untouched\n`
              : `${path} does not exist: nothing to destroy\n`,
          );
        } else if (await exists(path)) {
          process.stderr.write(
            `${path} is still on disk: with a copy of the database from before the rewrap, it still opens those values. ` +
              `Remove it with: secretsctl kek retire --version ${opts.version} --destroy\n`,
          );
        }
      });
    });

  command("verify", "decrypt every stored value (all versions) and report counts; exits 1 if any fails. Never prints a value.", ["secretsctl kek verify", "secretsctl kek verify -o json"])
    .option("--batch-size <n>", "values per batch", positiveInt("--batch-size"), 500)
    .addOption(outputOption())
    .action(async (opts: { batchSize: number; output: OutputFormat }) => {
      await withServices(async (s) => {
        let after: ValueKey | undefined;
        let ok = 0;
        const failed: BatchResult["failed"] = [];
        const byKek = new Map<number, number>();
        for (;;) {
          const batch = await s.store.verifyBatch(after, opts.batchSize);
          if (batch.scanned === 0) break;
          ok += batch.done;
          failed.push(...batch.failed);
          for (const [v, n] of batch.byKek) byKek.set(v, (byKek.get(v) ?? 0) + n);
          after = batch.last;
        }
        if (opts.output === "json") printObject({ verified: ok, failed: failed.length, byKekVersion: Object.fromEntries(byKek) }, "json");
        else {
          printRows(
            [...byKek].sort(([a], [b]) => a - b).map(([version, values]) => ({ kek_version: version, values_verified: values })),
            "table",
            ["kek_version", "values_verified"],
          );
          process.stdout.write(`${ok} verified, ${failed.length} failed\n`);
        }
        for (const f of failed) process.stderr.write(`FAILED secret ${f.secretId} version ${f.version}: ${f.reason}\n`);
        if (failed.length > 0) throw new CliError(`${failed.length} stored values do not decrypt`, EXIT.failure);
      });
    });

  helpAfter(
    program
      .command("rewrap")
      .description("re-wrap every stored DEK under one KEK version (values are not re-encrypted); safe beside live traffic, resumable, idempotent"),
    ["secretsctl rewrap", "secretsctl rewrap --to 2 --batch-size 100 -o json"],
    LOCAL_ENV_HELP,
  )
    .option("--to <n>", "target KEK version (default: the active one)", positiveInt("--to"))
    .option("--batch-size <n>", "values per transaction", positiveInt("--batch-size"), 500)
    .addOption(outputOption())
    .action(async (opts: { to?: number; batchSize: number; output: OutputFormat }) => {
      await withServices(async (s) => {
        const to = opts.to ?? s.keyring.active().version;
        if (!s.keyring.key(to)) throw new CliError(`KEK version ${to} is not a usable version (see secretsctl kek list)`, EXIT.notFound);
        const total = valuesNotOn(await s.kekStore.valueCounts(), to);
        const progress = createProgress(total);
        let interrupted = false;
        const onSigint = () => {
          interrupted = true;
        };
        process.on("SIGINT", onSigint);
        let after: ValueKey | undefined;
        let done = 0;
        const failed: BatchResult["failed"] = [];
        try {
          while (!interrupted) {
            const batch = await s.store.rewrapBatch(to, after, opts.batchSize);
            if (batch.scanned === 0) break;
            done += batch.done;
            failed.push(...batch.failed);
            after = batch.last;
            progress.update(done, failed.length);
          }
        } finally {
          process.off("SIGINT", onSigint);
          progress.end();
        }
        await auditLocal(s.database, kekEvent("Rewrap", to));
        const remaining = Math.max(0, valuesNotOn(await s.kekStore.valueCounts(), to) - failed.length);
        if (opts.output === "json") printObject({ kekVersion: to, rewrapped: done, failed: failed.map((f) => ({ secretId: f.secretId, version: f.version })), skipped: remaining }, "json");
        else {
          const skipped = remaining > 0 ? `${remaining} skipped (locked by a live write, or written meanwhile: run again)` : "0 skipped";
          process.stdout.write(`rewrap to KEK version ${to}: ${done} re-wrapped, ${failed.length} failed, ${skipped}\n`);
        }
        for (const f of failed) process.stderr.write(`FAILED secret ${f.secretId} version ${f.version}: ${f.reason}\n`);
        if (interrupted) throw new CliError("interrupted: run secretsctl rewrap again to continue", EXIT.interrupted);
        if (failed.length > 0) throw new CliError(`${failed.length} values could not be re-wrapped`, EXIT.failure);
      });
    });
}

const exists = (path: string) => access(path).then(() => true, () => false);

function valuesNotOn(counts: Map<number, number>, version: number): number {
  let n = 0;
  for (const [v, c] of counts) if (v !== version) n += c;
  return n;
}

/** A progress bar on a terminal; plain lines (for logs) otherwise. */
function createProgress(total: number) {
  const started = performance.now();
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  const render = (done: number, failed: number) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
    if (tty) {
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      process.stderr.write(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${pct}% ${done}/${total} failed ${failed} ${rate}/s `);
    } else if (performance.now() - lastLine > 1000 || done >= total) {
      lastLine = performance.now();
      process.stderr.write(`rewrap: ${done}/${total} (${pct}%), failed ${failed}, ${rate}/s\n`);
    }
  };
  return {
    update: render,
    end: () => {
      if (tty) process.stderr.write("\n");
    },
  };
}
