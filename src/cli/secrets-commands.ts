import { readFile } from "node:fs/promises";
import { type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { Command } from "commander";
import { type ResourceAccess, ResourceAccessSchema, type Secret, SecretBindingSchema, SecretSchema, SecretsService } from "../../gen/secrets/v1/service_pb.js";
import { GLOBAL_RESOURCE_TYPE } from "../secrets/resource-access.js";
import { CliError, EXIT } from "./exit-codes.js";
import { type OutputFormat, outputOption, printObject, printRows } from "./output.js";

interface GlobalOptions {
  server: string;
  output: OutputFormat;
}

type Api = Client<typeof SecretsService>;

/**
 * `secretsctl secrets …`: secrets through the service's API, as any other
 * client (Connect over HTTP), with the token from SECRETS_TOKEN. Values are
 * read from stdin or a file, never from a flag that would land in shell
 * history or the process list.
 */
export function secretsCommands(program: Command): void {
  const secrets = program
    .command("secrets")
    .description("manage secrets through the service API (token from SECRETS_TOKEN)")
    .option("--server <url>", "service address", process.env.SECRETS_SERVER ?? "http://127.0.0.1:50051")
    .addOption(outputOption());

  const run = <A extends unknown[]>(fn: (api: Api, opts: GlobalOptions, ...args: A) => Promise<void>) =>
    async function (this: Command, ...args: A) {
      const opts = this.optsWithGlobals() as GlobalOptions;
      const token = process.env.SECRETS_TOKEN;
      if (!token) throw new CliError("set SECRETS_TOKEN to an API token (see secretsctl token create)", EXIT.denied);
      const transport = createConnectTransport({
        baseUrl: opts.server,
        httpVersion: "1.1",
        interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req))],
      });
      await fn(createClient(SecretsService, transport), opts, ...args);
    };

  secrets
    .command("create")
    .description("create a secret; its value is read from stdin (or --value-file)")
    .requiredOption("--name <name>", "secret name")
    .requiredOption("--field <ENV_NAME>", "environment variable the value is meant for")
    .option("--value-file <path>", "read the value from this file instead of stdin")
    .option("--fields", "the value is a JSON object of strings (a multi-field secret)")
    .option("--provider <provider>")
    .option("--model <model>")
    .option("--shared", "visible to every authenticated principal")
    .option("--auth-config <key=value...>", "non-secret settings (stored in clear)")
    .option("--bind <TYPE/ID>", "also bind it to this resource, in the same transaction")
    .option("--request-id <id>", "makes the create idempotent")
    .action(
      run(async (api, g, opts: { name: string; field: string; valueFile?: string; fields?: boolean; provider?: string; model?: string; shared?: boolean; authConfig?: string[]; bind?: string; requestId?: string }) => {
        const target = opts.bind === undefined ? undefined : resource(opts.bind, "--bind");
        // The API makes anything bound to GLOBAL shared; here that must be asked for, not implied.
        if (target?.resourceType === GLOBAL_RESOURCE_TYPE && !opts.shared) {
          throw new CliError(
            "binding to GLOBAL makes the secret shared: visible to everyone and resolvable by every GLOBAL consumer. Add --shared if that is what you mean, or bind it to your own resource",
            EXIT.usage,
          );
        }
        const value = await readValue(opts.valueFile);
        const common = {
          secretName: opts.name,
          fieldName: opts.field,
          provider: opts.provider,
          model: opts.model,
          isShared: opts.shared ?? false,
          authConfig: keyValues(opts.authConfig),
          requestId: opts.requestId ?? "",
          ...(opts.fields ? { secretFields: parseFields(value) } : { secretValue: value }),
        };
        if (target) {
          const res = await api.createAndBindSecret({ ...common, ...target, fieldName: opts.field });
          printObject({ secret: json(SecretSchema, res.secret!), binding: json(SecretBindingSchema, res.binding!) }, "json");
        } else {
          printSecret((await api.createSecret(common)).secret!, g.output);
        }
      }),
    );

  secrets
    .command("list")
    .description("list the secrets visible to you (every page)")
    .option("--shared", "shared secrets only")
    .option("--private", "private secrets only")
    .option("--provider <provider>")
    .action(
      run(async (api, g, opts: { shared?: boolean; private?: boolean; provider?: string }) => {
        if (opts.shared && opts.private) throw new CliError("give --shared or --private, not both", EXIT.usage);
        const all: Secret[] = [];
        let pageToken = "";
        do {
          const page = await api.listSecrets({ isShared: opts.shared ? true : opts.private ? false : undefined, provider: opts.provider, pageSize: 1000, pageToken });
          all.push(...page.secrets);
          pageToken = page.nextPageToken;
        } while (pageToken);
        printRows(
          all.map((s) => json(SecretSchema, s)),
          g.output,
          ["secret_id", "secret_name", "field_name", "is_shared", "state", "provider", "model", "masked_value", "version", "binding_count"],
        );
      }),
    );

  secrets
    .command("get")
    .description("show a secret's metadata (masked value only), by id or name")
    .argument("<id-or-name>")
    .action(
      run(async (api, g, idOrName: string) => {
        const lookup = UUID.test(idOrName) ? { secretId: idOrName } : { secretName: idOrName };
        printSecret((await api.getSecret(lookup)).secret!, g.output);
      }),
    );

  secrets
    .command("update")
    .description("change the value (read from stdin with --value, or --value-file) and/or the metadata")
    .argument("<secret-id>")
    .option("--value", "read a new value from stdin")
    .option("--value-file <path>", "read a new value from this file")
    .option("--fields", "the new value is a JSON object of strings")
    .option("--provider <provider>", 'new provider ("" clears it)')
    .option("--model <model>", 'new model ("" clears it)')
    .option("--auth-config <key=value...>", "replace the non-secret settings")
    .option("--etag <etag>", "only if the secret is unchanged since this etag")
    .action(
      run(async (api, g, secretId: string, opts: { value?: boolean; valueFile?: string; fields?: boolean; provider?: string; model?: string; authConfig?: string[]; etag?: string }) => {
        const value = opts.value || opts.valueFile ? await readValue(opts.valueFile) : undefined;
        const res = await api.updateSecret({
          secretId,
          ...(value !== undefined && (opts.fields ? { secretFields: parseFields(value) } : { secretValue: value })),
          provider: opts.provider,
          model: opts.model,
          authConfig: keyValues(opts.authConfig),
          etag: opts.etag,
        });
        printSecret(res.secret!, g.output);
      }),
    );

  secrets
    .command("revoke")
    .description("never resolve this secret's value again (metadata stays)")
    .argument("<secret-id>")
    .action(run(async (api, g, secretId: string) => printSecret((await api.revokeSecret({ secretId })).secret!, g.output)));

  secrets
    .command("delete")
    .description("delete a secret, its stored versions and its bindings")
    .argument("<secret-id>")
    .action(
      run(async (api, _g, secretId: string) => {
        await api.deleteSecret({ secretId });
        process.stderr.write(`deleted ${secretId}\n`);
      }),
    );

  secrets
    .command("bind")
    .description("bind a secret to a resource")
    .argument("<secret-id>")
    .requiredOption("--resource <TYPE/ID>", "e.g. SCORER_JOB/job-42")
    .requiredOption("--field <ENV_NAME>", "the name the resource sees it under")
    .action(
      run(async (api, g, secretId: string, opts: { resource: string; field: string }) => {
        const res = await api.bindSecret({ secretId, ...resource(opts.resource), fieldName: opts.field });
        printObject(json(SecretBindingSchema, res.binding!), g.output);
      }),
    );

  secrets
    .command("unbind")
    .description("remove a binding, by id or by --resource and --field")
    .argument("[binding-id]")
    .option("--resource <TYPE/ID>")
    .option("--field <ENV_NAME>")
    .action(
      run(async (api, _g, bindingId: string | undefined, opts: { resource?: string; field?: string }) => {
        if (!bindingId && !(opts.resource && opts.field)) throw new CliError("give a binding id, or --resource and --field", EXIT.usage);
        await api.unbindSecret(bindingId ? { bindingId } : { ...resource(opts.resource!), fieldName: opts.field! });
        process.stderr.write("unbound\n");
      }),
    );

  secrets
    .command("list-bindings")
    .description("list bindings, by resource and/or secret (every page)")
    .option("--resource <TYPE/ID>")
    .option("--secret <secret-id>")
    .action(
      run(async (api, g, opts: { resource?: string; secret?: string }) => {
        const filter = { ...(opts.resource && resource(opts.resource)), secretId: opts.secret };
        const all = [];
        let pageToken = "";
        do {
          const page = await api.listBindings({ ...filter, pageSize: 1000, pageToken });
          all.push(...page.bindings.map((b) => json(SecretBindingSchema, b)));
          pageToken = page.nextPageToken;
        } while (pageToken);
        printRows(all, g.output, ["binding_id", "secret_id", "resource_type", "resource_id", "field_name", "created_by"]);
      }),
    );

  const printAccess = (access: ResourceAccess | undefined, format: OutputFormat) => printObject(json(ResourceAccessSchema, access!), format);

  secrets
    .command("access")
    .description("who owns a resource and whom its owner let bind to it")
    .argument("<TYPE/ID>")
    .action(
      run(async (api, g, spec: string) => {
        printAccess((await api.getResourceAccess(resource(spec, "the resource"))).resourceAccess, g.output);
      }),
    );

  secrets
    .command("grant")
    .description("let another principal bind to, unbind from and list a resource you own (claims it if nobody owns it yet)")
    .argument("<TYPE/ID>")
    .requiredOption("--principal <name>", "the token name or JWT subject to let in")
    .action(
      run(async (api, g, spec: string, opts: { principal: string }) => {
        printAccess((await api.grantResourceAccess({ ...resource(spec, "the resource"), principal: opts.principal })).resourceAccess, g.output);
      }),
    );

  secrets
    .command("revoke-grant")
    .description("withdraw a grant on a resource you own (the bindings the grantee made stay)")
    .argument("<TYPE/ID>")
    .requiredOption("--principal <name>")
    .action(
      run(async (api, g, spec: string, opts: { principal: string }) => {
        printAccess((await api.revokeResourceAccess({ ...resource(spec, "the resource"), principal: opts.principal })).resourceAccess, g.output);
      }),
    );

  secrets
    .command("transfer")
    .description("give a resource to another owner (admins only)")
    .argument("<TYPE/ID>")
    .requiredOption("--to <name>", "the new owner")
    .action(
      run(async (api, g, spec: string, opts: { to: string }) => {
        printAccess((await api.transferResourceOwnership({ ...resource(spec, "the resource"), newOwner: opts.to })).resourceAccess, g.output);
      }),
    );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const json = <D extends DescMessage>(schema: D, message: MessageShape<D>) => toJson(schema, message, { useProtoFieldName: true }) as Record<string, unknown>;

function printSecret(secret: Secret, format: OutputFormat): void {
  printObject(json(SecretSchema, secret), format);
}

async function readValue(file: string | undefined): Promise<string> {
  let text: string;
  if (file) {
    text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read ${file}: ${err.code}`, EXIT.usage);
    });
  } else {
    if (process.stdin.isTTY) process.stderr.write("value (end with Ctrl-D): ");
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    text = Buffer.concat(chunks).toString("utf8");
  }
  // One trailing newline is the shell's (echo, heredoc), not the secret's.
  return text.replace(/\r?\n$/, "");
}

function parseFields(text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError("with --fields the value must be a JSON object of strings", EXIT.usage);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== "string")) {
    throw new CliError("with --fields the value must be a JSON object of strings", EXIT.usage);
  }
  return parsed as Record<string, string>;
}

function keyValues(pairs: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const i = pair.indexOf("=");
    if (i <= 0) throw new CliError(`--auth-config takes key=value, not "${pair}"`, EXIT.usage);
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

function resource(spec: string, flag = "--resource"): { resourceType: string; resourceId: string } {
  const i = spec.indexOf("/");
  if (i <= 0 || i === spec.length - 1) throw new CliError(`${flag} takes TYPE/ID, e.g. SCORER_JOB/job-42, not "${spec}"`, EXIT.usage);
  return { resourceType: spec.slice(0, i), resourceId: spec.slice(i + 1) };
}
