import { type Command, Option } from "commander";
import { type ApiToken, ApiTokenSchema, TokenService, WhoAmIResponseSchema } from "../../gen/secrets/v1/tokens_pb.js";
import { ApiTokens, PrincipalReuseError } from "../auth/api-tokens.js";
import { ROLES, type Role } from "../auth/principal.js";
import { apiTokenToProto } from "../rpc/converters.js";
import { requireTokenName } from "../secrets/validation.js";
import { TokenStore } from "../store/token-store.js";
import { API_ENV_HELP, type ApiOptions, addApiOptions, serverAddress, serviceClient } from "./api.js";
import { CliError, EXIT } from "./exit-codes.js";
import { helpAfter } from "./help.js";
import { LOCAL_ENV_HELP, withDatabase } from "./local.js";
import { auditLocal } from "./local-audit.js";
import { type OutputFormat, messageRecord, outputOption, printMessage, printMessages, printObject } from "./output.js";

interface TokenOptions extends ApiOptions {
  direct?: boolean;
  output: OutputFormat;
}

const COLUMNS = ["token_id", "name", "roles", "created_by", "created_at", "expires_at", "last_used_at", "revoked_at"];

const MODES_HELP = `
Modes:
  With SECRETS_TOKEN set (or --server), through the running service's API: an admin's token
  creates tokens; anyone lists and revokes their own. Without, or with --direct, on the database
  directly: for the first admin and for recovery, with the server stopped on the embedded database.
  Each run says on stderr which mode it used.`;

/**
 * `secretsctl token …`: API tokens, through the API (CreateApiToken,
 * ListApiTokens, RevokeApiToken, WhoAmI) or, for bootstrap and recovery, on
 * the database directly. Only a token's hash is ever stored; its text is
 * printed once, on stdout, by `create`.
 */
export function tokenCommands(program: Command): void {
  const token = program.command("token").description("manage API tokens (shown once at creation; only a hash is stored)");
  const command = (name: string, description: string, examples: readonly string[]) =>
    addApiOptions(helpAfter(token.command(name).description(description), examples, `${MODES_HELP}\n${API_ENV_HELP}\n${LOCAL_ENV_HELP}`), "--server [address]")
      .option("--direct", "on the database directly, even with SECRETS_TOKEN set")
      .addOption(outputOption());

  command("create", "create a token and print it once, on stdout", [
    "export ALICE_TOKEN=$(secretsctl token create --name alice --role user)          # through the API (SECRETS_TOKEN: an admin's)",
    "secretsctl token create --name scorer --role service --expires 90d --description 'nightly scorer'",
    "secretsctl --init token create --name ops --role admin --direct                 # the first admin, on a new database",
  ])
    .requiredOption("--name <name>", "the principal the token authenticates (its subject): letters, digits and . _ @ : -")
    .addOption(new Option("--role <role>", "what it may do").choices([...ROLES]).makeOptionMandatory())
    .option("--expires <duration>", "lifetime, e.g. 30d, 12h, 90m (default: no expiry)")
    .option("--description <text>", "what the token is for")
    .option("--same-principal", "allow a role this principal does not hold yet: the token acts as that principal, with its private secrets")
    .action(async (opts: TokenOptions & { name: string; role: Role; expires?: string; description?: string; samePrincipal?: boolean }) => {
      const lifetimeMs = opts.expires ? parseDuration(opts.expires) : 0;
      if (viaApi(opts)) {
        const res = await serviceClient(TokenService, opts).createApiToken({
          name: opts.name,
          roles: [opts.role],
          ttlSeconds: BigInt(Math.round(lifetimeMs / 1000)),
          description: opts.description ?? "",
          samePrincipal: opts.samePrincipal ?? false,
        });
        return printIssued(res.token, res.apiToken!, opts.output);
      }
      await withDatabase(async (db) => {
        let issued;
        try {
          issued = await new ApiTokens({ store: new TokenStore(db.db) }).issue({
            name: requireTokenName(opts.name),
            role: opts.role,
            description: opts.description,
            createdBy: "secretsctl",
            expiresAt: lifetimeMs ? new Date(Date.now() + lifetimeMs) : undefined,
            samePrincipal: opts.samePrincipal,
          });
        } catch (err) {
          if (err instanceof PrincipalReuseError) throw new CliError(`${err.message} (--same-principal)`, EXIT.conflict);
          throw err;
        }
        const { token: value, record } = issued!;
        await auditLocal(db, { action: "CreateApiToken", resourceType: "API_TOKEN", resourceId: record.id, subject: `${record.name} (${record.role})` });
        printIssued(value, apiTokenToProto(record), opts.output);
      });
    });

  command("list", "list tokens, never their text: all of them for an admin, your own otherwise", ["secretsctl token list", "secretsctl token list --name alice -o json"])
    .option("--name <name>", "only this principal's tokens")
    .option("--active", "leave out revoked and expired tokens")
    .action(async (opts: TokenOptions & { name?: string; active?: boolean }) => {
      if (viaApi(opts)) {
        const client = serviceClient(TokenService, opts);
        const all = [];
        let pageToken = "";
        do {
          const page = await client.listApiTokens({ name: opts.name, includeInactive: !opts.active, pageSize: 1000, pageToken });
          all.push(...page.apiTokens);
          pageToken = page.nextPageToken;
        } while (pageToken);
        return printMessages(ApiTokenSchema, all, opts.output, COLUMNS);
      }
      await withDatabase(async (db) => {
        const rows = await new TokenStore(db.db).list({ name: opts.name, includeInactive: !opts.active });
        printMessages(ApiTokenSchema, rows.map(apiTokenToProto), opts.output, COLUMNS);
      });
    });

  command("revoke", "revoke a token by id (through the API: yours, or any for an admin), or on the database every live token of a name", [
    "secretsctl token revoke 01a2c3d4-0000-7000-8000-000000000000",
    "secretsctl token revoke alice --direct                # every live token of alice, on the database",
  ])
    .argument("<id-or-name>")
    .action(async (idOrName: string, opts: TokenOptions) => {
      if (viaApi(opts)) {
        const res = await serviceClient(TokenService, opts).revokeApiToken({ tokenId: idOrName });
        printMessage(ApiTokenSchema, res.apiToken!, opts.output);
        process.stderr.write(`revoked token ${idOrName}; every replica refuses it within SECRETS_TOKEN_CACHE_TTL_MS\n`);
        return;
      }
      await withDatabase(async (db) => {
        const n = await new TokenStore(db.db).revoke(idOrName);
        if (n === 0) throw new CliError(`no live token with id or name ${idOrName}`, EXIT.notFound);
        await auditLocal(db, { action: "RevokeApiToken", resourceType: "API_TOKEN", resourceId: idOrName });
        process.stderr.write(`revoked ${n} token${n === 1 ? "" : "s"}\n`);
      });
    });

  helpAfter(
    addApiOptions(program.command("whoami").description("who SECRETS_TOKEN authenticates as: principal, roles, and how (through the API)")).addOption(outputOption()),
    ["secretsctl whoami", "SECRETS_TOKEN=$JOB_TOKEN secretsctl whoami -o json"],
    API_ENV_HELP,
  ).action(async (opts: ApiOptions & { output: OutputFormat }) => {
    printMessage(WhoAmIResponseSchema, await serviceClient(TokenService, opts).whoAmI({}), opts.output);
  });

  /** Through the API when a server or a token says so, unless --direct; says which on stderr. */
  function viaApi(opts: TokenOptions): boolean {
    const api = !opts.direct && (opts.server !== undefined || process.env.SECRETS_TOKEN !== undefined);
    process.stderr.write(api ? `through the API at ${serverAddress(opts.server)}\n` : "on the database directly\n");
    return api;
  }
}

/** The token on stdout (alone, for $(…)), or CreateApiToken's answer as REST gives it; what it is, on stderr. */
function printIssued(value: string, record: ApiToken, format: OutputFormat): void {
  if (format === "json") printObject({ token: value, api_token: messageRecord(ApiTokenSchema, record, "json") }, "json");
  else process.stdout.write(`${value}\n`);
  const expires = record.expiresAt ? `, expires ${new Date(Number(record.expiresAt)).toISOString()}` : "";
  process.stderr.write(`token ${record.tokenId} for ${record.name} (${record.roles.join(", ")})${expires}: shown only this once\n`);
}

export function parseDuration(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) throw new CliError(`a duration looks like 30d, 12h, 90m or 45s, not "${text}"`, EXIT.usage);
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
}
