import { type Command, Option } from "commander";
import { ApiTokens, PrincipalReuseError } from "../auth/api-tokens.js";
import { ROLES, type Role } from "../auth/principal.js";
import { TokenStore } from "../store/token-store.js";
import { CliError, EXIT } from "./exit-codes.js";
import { withDatabase } from "./local.js";
import { auditLocal } from "./local-audit.js";
import { type OutputFormat, outputOption, printObject, printRows } from "./output.js";

/** `secretsctl token …`: API tokens, managed on the database directly (only their hashes are stored). */
export function tokenCommands(program: Command): void {
  const token = program.command("token").description("manage API tokens (shown once at creation; only a hash is stored)");

  token
    .command("create")
    .description("create a token and print it once")
    .requiredOption("--name <name>", "the principal the token authenticates (its subject)")
    .addOption(new Option("--role <role>", "what it may do").choices([...ROLES]).makeOptionMandatory())
    .option("--expires <duration>", "lifetime, e.g. 30d, 12h, 90m (default: no expiry)")
    .option("--same-principal", "allow a role this principal does not hold yet: the token acts as that principal, with its private secrets")
    .addOption(outputOption())
    .action(async (opts: { name: string; role: Role; expires?: string; samePrincipal?: boolean; output: OutputFormat }) => {
      if (!/^[A-Za-z0-9._@:-]{1,128}$/.test(opts.name)) throw new CliError("--name must be 1-128 characters of letters, digits and . _ @ : -", EXIT.usage);
      const expiresAt = opts.expires ? new Date(Date.now() + parseDuration(opts.expires)) : undefined;
      await withDatabase(async (db) => {
        let issued;
        try {
          issued = await new ApiTokens({ store: new TokenStore(db.db) }).issue({ name: opts.name, role: opts.role, createdBy: "secretsctl", expiresAt, samePrincipal: opts.samePrincipal });
        } catch (err) {
          if (err instanceof PrincipalReuseError) throw new CliError(`${err.message} (--same-principal)`, EXIT.conflict);
          throw err;
        }
        const { token: value, record } = issued!;
        await auditLocal(db, { action: "CreateApiToken", resourceType: "API_TOKEN", resourceId: record.id, subject: `${record.name} (${record.role})` });
        if (opts.output === "json") printObject({ token: value, ...record }, "json");
        else process.stdout.write(`${value}\n`);
        process.stderr.write(`token ${record.id} for ${record.name} (${record.role})${expiresAt ? `, expires ${expiresAt.toISOString()}` : ""}: shown only this once\n`);
      });
    });

  token
    .command("list")
    .description("list tokens (never their values)")
    .addOption(outputOption())
    .action(async (opts: { output: OutputFormat }) => {
      await withDatabase(async (db) => {
        const rows = await new TokenStore(db.db).list();
        printRows(rows, opts.output, ["id", "name", "role", "createdBy", "createdAt", "expiresAt", "revokedAt"]);
      });
    });

  token
    .command("revoke")
    .description("revoke a token by id, or every live token of a name; every replica refuses it within the token cache TTL")
    .argument("<id-or-name>")
    .action(async (idOrName: string) => {
      await withDatabase(async (db) => {
        const n = await new TokenStore(db.db).revoke(idOrName);
        if (n === 0) throw new CliError(`no live token with id or name ${idOrName}`, EXIT.notFound);
        await auditLocal(db, { action: "RevokeApiToken", resourceType: "API_TOKEN", resourceId: idOrName });
        process.stderr.write(`revoked ${n} token${n === 1 ? "" : "s"}\n`);
      });
    });
}

export function parseDuration(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) throw new CliError(`a duration looks like 30d, 12h, 90m or 45s, not "${text}"`, EXIT.usage);
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
}
