import { type Command, Option } from "commander";
import { type Config, loadConfig } from "../config.js";
import { type Services, openServices } from "../services.js";
import { DataDirLockedError } from "../store/data-dir-lock.js";
import { type Database, databaseExists, openDatabase } from "../store/database.js";
import { CliError, EXIT } from "./exit-codes.js";

/**
 * Commands that work on the database directly (tokens, keys, migrations)
 * use the same configuration as the server. Each says on stderr which
 * database it opened, and none creates a database unless --init says so:
 * run from the wrong directory, or without DATABASE_URL, it would otherwise
 * make a fresh empty one and, say, print a token no server accepts.
 */

let initAllowed = false;

/**
 * `--init` belongs to the program, so that every command that opens the
 * database gets it without declaring it: `secretsctl --init token create …`.
 */
export function addInitOption(program: Command): void {
  // Hidden from the "Global Options" of API commands, where it means nothing; LOCAL_ENV_HELP tells of it.
  program.addOption(new Option("--init", "let a command that works on the database directly create it when none exists yet").hideHelp());
  program.hook("preAction", (cmd) => {
    initAllowed = cmd.opts<{ init?: boolean }>().init === true;
  });
}

/** The variables the direct-database commands read, for their --help. */
export const LOCAL_ENV_HELP = `
No database is created unless --init is given (secretsctl --init … creates the embedded database, or the schema in an empty PostgreSQL database).

Environment (the server's own configuration):
  DATABASE_URL                 PostgreSQL URL; unset: the embedded database under SECRETS_DATA_DIR
  SECRETS_DATA_DIR             data directory of the embedded database and of the default keystore (default ./data, relative to the current directory)
  SECRETS_KEYSTORE_PATH        KEK keystore directory (default <data dir>/keystore)
  SECRETS_KEK_PASSPHRASE, SECRETS_KEK_PASSPHRASE_FILE   derive KEKs from a passphrase instead of a keystore`;

export async function withDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const config = await openedConfig();
  const database = await opened(() => openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 }));
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

export async function withServices<T>(fn: (services: Services) => Promise<T>): Promise<T> {
  const config = await openedConfig();
  const services = await opened(() => openServices({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, kek: config.kek, dbPoolSize: 4 }));
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

async function openedConfig(): Promise<Config> {
  const config = loadConfig();
  const where = describeDatabase(config);
  if (await databaseExists({ url: config.databaseUrl, dataDir: config.dataDir })) {
    process.stderr.write(`secretsctl: using ${where}\n`);
    return config;
  }
  if (!initAllowed) {
    throw new CliError(
      `${where} ${config.databaseUrl ? "has no schema (no migration was ever applied)" : "does not exist"}. ` +
        "secretsctl works on the server's database: DATABASE_URL, else the embedded one under SECRETS_DATA_DIR (default ./data, relative to the current directory). " +
        "Run it with the server's configuration, or pass --init to create a new database there.",
      EXIT.notFound,
    );
  }
  process.stderr.write(`secretsctl: creating ${where} (--init)\n`);
  return config;
}

async function opened<T>(open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      throw new CliError(
        `the embedded database in ${err.dataDir} is in use by process ${err.pid} (a running secrets server?), and it allows one process at a time. ` +
          "Stop the server to run this command, or use the commands that go through its API while it runs: secretsctl secrets …, resolve, run, audit, kek list --server.",
        EXIT.unavailable,
      );
    }
    throw err;
  }
}

function describeDatabase(config: Config): string {
  if (!config.databaseUrl) return `the embedded database in ${config.dataDir} (${process.env.SECRETS_DATA_DIR ? "SECRETS_DATA_DIR" : "SECRETS_DATA_DIR unset: ./data"})`;
  return `the PostgreSQL database ${redactPassword(config.databaseUrl)} (DATABASE_URL)`;
}

function redactPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    // Not a URL postgres.js would accept either; it will say so without it being echoed here.
    return "(unparsable URL)";
  }
}
