import { loadConfig } from "../config.js";
import { type Services, openServices } from "../services.js";
import { type Database, openDatabase } from "../store/database.js";

/**
 * Commands that work on the database directly (tokens, keys, migrations)
 * use the same configuration as the server. On the embedded database they
 * need the server stopped: its data directory is locked while it runs.
 */
export async function withDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

export async function withServices<T>(fn: (services: Services) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const services = await openServices({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, kek: config.kek, dbPoolSize: 4 });
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}
