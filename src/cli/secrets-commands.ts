import type { Command } from "commander";
import { type ResourceAccess, ResourceAccessSchema, type Secret, type SecretBinding, SecretBindingSchema, SecretSchema, SecretVersionSchema } from "../../gen/secrets/v1/service_pb.js";
import type { SecretsClient } from "../client/secrets-client.js";
import { GLOBAL_RESOURCE_TYPE } from "../secrets/resource-access.js";
import { API_ENV_HELP, type ApiOptions, addApiOptions, apiClient } from "./api.js";
import { CliError, EXIT } from "./exit-codes.js";
import { helpAfter } from "./help.js";
import { OUTPUT_HELP, type OutputFormat, messageRecord, outputOption, printMessage, printMessages, printObject } from "./output.js";
import { type ResourceFlags, addResourceTypeIdOptions, oneOf, requireResource, resourceOf } from "./resource-flags.js";
import { secretIdOf, secretOf } from "./secret-ref.js";
import { parseFields, readValue } from "./value-input.js";

interface GlobalOptions extends ApiOptions {
  output: OutputFormat;
}

const ENV_HELP = `${API_ENV_HELP}\n${OUTPUT_HELP}`;

const FIELD_HELP =
  "the environment variable the resource reads the value as, e.g. OPENAI_API_KEY. For a multi-field secret it names the binding, and each field becomes a variable named by its own key";

/**
 * `secretsctl secrets …`: secrets through the service's API, as any other
 * client, with the token from SECRETS_TOKEN. A secret is named by its id or
 * by its name (your private secret of that name first, then the shared one;
 * admins also find other owners' private secrets, and an ambiguous name is
 * refused with the owners listed).
 */
export function secretsCommands(program: Command): void {
  const secrets = addApiOptions(
    program
      .command("secrets")
      .description("manage secrets through the service API (token from SECRETS_TOKEN)")
      // Its options go before or after the subcommand alike: `secrets --server X list` and `secrets list --server X`.
      .enablePositionalOptions(false),
  ).addOption(outputOption());

  const api = <A extends unknown[]>(fn: (client: SecretsClient, opts: GlobalOptions, ...args: A) => Promise<void>) =>
    async function (this: Command, ...args: A) {
      const opts = this.optsWithGlobals() as GlobalOptions;
      await fn(apiClient(opts), opts, ...args);
    };
  const command = (name: string, description: string, examples: readonly string[]) => helpAfter(secrets.command(name).description(description), examples, ENV_HELP);

  addResourceTypeIdOptions(
    command("create", "create a secret; its value is read from stdin, a terminal prompt that does not echo, or --value-file", [
      "secretsctl secrets create my-openai-key --field OPENAI_API_KEY --provider openai --model gpt-4o --shared < key.txt",
      "secretsctl secrets create scorer-key --field OPENAI_API_KEY --bind SCORER_JOB/scorer-123     # prompts for the value",
      "secretsctl secrets create bedrock-aws --field AWS --fields --value-file aws.json --provider bedrock --auth-config region=us-east-1",
    ])
      .argument("[name]", "the secret's name (unique among your private secrets, or among shared ones)")
      .option("--name <name>", "the secret's name, as an option (the earlier spelling of the argument)")
      .option("--field <ENV_NAME>", `(required) ${FIELD_HELP}`)
      .option("--field-name <ENV_NAME>", "same as --field")
      .option("--value [ignored]", "read the value from stdin, which is the default (MLflow's flag; a value written after it is refused, never used)")
      .option("--value-file <path>", "read the value from this file instead of stdin")
      .option("--fields", 'the value is a JSON object of strings, a multi-field secret, e.g. {"AWS_ACCESS_KEY_ID":"…","AWS_SECRET_ACCESS_KEY":"…"}')
      .option("--provider <provider>", "the provider whose API the credential opens, e.g. openai, anthropic, bedrock (metadata, stored in clear)")
      .option("--model <model>", "the model it is meant for, e.g. gpt-4o or claude-3-5-sonnet-20241022 (metadata, stored in clear)")
      .option("--shared", "visible to every authenticated principal and bindable anywhere, GLOBAL included (default: private to you)")
      .option("--auth-config <key=value...>", "non-secret settings such as region=us-east-1 or api_base=https://… (stored in clear)")
      .option("--bind <TYPE/ID>", "also bind it to this resource, in the same transaction, under --field")
      .option("--request-id <id>", "makes the create idempotent: repeated with the same id and payload, it answers the first result"),
  ).action(
    api(async (client, g, positional: string | undefined, opts: CreateOptions) => {
      const name = oneOf({ "the name argument": positional, "--name": opts.name });
      if (!name) throw new CliError("give the secret's name, e.g. secretsctl secrets create my-openai-key --field OPENAI_API_KEY", EXIT.usage);
      const fieldName = oneOf({ "--field": opts.field, "--field-name": opts.fieldName });
      if (!fieldName) throw new CliError(`--field is required: ${FIELD_HELP}`, EXIT.usage);
      const target = resourceOf(opts.bind, opts, "--bind");
      // The API makes anything bound to GLOBAL shared; here that must be asked for, not implied.
      if (target?.resourceType === GLOBAL_RESOURCE_TYPE && !opts.shared) {
        throw new CliError(
          "binding to GLOBAL makes the secret shared: visible to everyone and resolvable by every GLOBAL consumer. Add --shared if that is what you mean, or bind it to your own resource",
          EXIT.usage,
        );
      }
      const value = await readValue(opts);
      const common = {
        secretName: name,
        fieldName,
        provider: opts.provider,
        model: opts.model,
        isShared: opts.shared ?? false,
        authConfig: keyValues(opts.authConfig),
        requestId: opts.requestId ?? "",
        ...(opts.fields ? { secretFields: parseFields(value) } : { secretValue: value }),
      };
      if (target) {
        const res = await client.createAndBindSecret({ ...common, ...target });
        printSecretAndBinding(res.secret!, res.binding!, g.output);
      } else {
        printMessage(SecretSchema, (await client.createSecret(common)).secret!, g.output);
      }
    }),
  );

  command("list", "list the secrets visible to you (every page)", ["secretsctl secrets list", "secretsctl secrets list --shared --provider openai -o json"])
    .option("--shared", "shared secrets only")
    .option("--private", "private secrets only")
    .option("--provider <provider>", "only secrets for this provider, e.g. openai")
    .action(
      api(async (client, g, opts: { shared?: boolean; private?: boolean; provider?: string }) => {
        if (opts.shared && opts.private) throw new CliError("give --shared or --private, not both", EXIT.usage);
        const all: Secret[] = [];
        let pageToken = "";
        do {
          const page = await client.listSecrets({ isShared: opts.shared ? true : opts.private ? false : undefined, provider: opts.provider, pageSize: 1000, pageToken });
          all.push(...page.secrets);
          pageToken = page.nextPageToken;
        } while (pageToken);
        printMessages(SecretSchema, all, g.output, [
          "secret_id",
          "secret_name",
          "field_name",
          "is_shared",
          "state",
          "provider",
          "model",
          "masked_value",
          "version",
          "binding_count",
          "last_updated_at",
        ]);
      }),
    );

  command("get", "show a secret's metadata (its masked value only)", ["secretsctl secrets get my-openai-key", "secretsctl secrets get 0193f3c2-7d1e-7a40-9c55-3f0c2e8b1a77 -o json"])
    .argument("<secret>", "name or id")
    .action(api(async (client, g, ref: string) => printMessage(SecretSchema, await secretOf(client, ref), g.output)));

  command("update", "change the value (a new version) and/or the metadata", [
    "secretsctl secrets update my-openai-key --value < new-key.txt",
    "secretsctl secrets update my-openai-key --model gpt-4o-mini",
    'secretsctl secrets update my-openai-key --provider ""      # clears the provider',
  ])
    .argument("<secret>", "name or id")
    .option("--value [ignored]", "read a new value from stdin or the terminal prompt (a value written after it is refused, never used)")
    .option("--value-file <path>", "read a new value from this file")
    .option("--fields", "the new value is a JSON object of strings (a multi-field secret)")
    .option("--provider <provider>", 'new provider, e.g. openai ("" clears it)')
    .option("--model <model>", 'new model, e.g. gpt-4o ("" clears it)')
    .option("--auth-config <key=value...>", "replace the non-secret settings")
    .option("--clear-auth-config", "remove every non-secret setting")
    .option("--etag <etag>", "only if the secret is unchanged since this etag (from get)")
    .action(
      api(async (client, g, ref: string, opts: UpdateOptions) => {
        const secretId = await secretIdOf(client, ref);
        const value = opts.value !== undefined || opts.valueFile ? await readValue(opts) : undefined;
        const res = await client.updateSecret({
          secretId,
          ...(value !== undefined && (opts.fields ? { secretFields: parseFields(value) } : { secretValue: value })),
          provider: opts.provider,
          model: opts.model,
          authConfig: keyValues(opts.authConfig),
          clearAuthConfig: opts.clearAuthConfig ?? false,
          etag: opts.etag,
        });
        printMessage(SecretSchema, res.secret!, g.output);
      }),
    );

  command("revoke", "never resolve this secret's value again (its metadata stays)", ["secretsctl secrets revoke my-openai-key"])
    .argument("<secret>", "name or id")
    .action(api(async (client, g, ref: string) => printMessage(SecretSchema, (await client.revokeSecret({ secretId: await secretIdOf(client, ref) })).secret!, g.output)));

  command("delete", "delete a secret, its stored versions and its bindings", ["secretsctl secrets delete my-openai-key"])
    .argument("<secret>", "name or id")
    .action(
      api(async (client, g, ref: string) => {
        const secretId = await secretIdOf(client, ref);
        await client.deleteSecret({ secretId });
        if (g.output === "json") printObject({ secret_id: secretId, deleted: true }, "json");
        else process.stderr.write(`deleted ${secretId}\n`);
      }),
    );

  command("versions", "a secret's stored value versions, newest first: who wrote each, when, under which KEK (never the value)", ["secretsctl secrets versions my-openai-key"])
    .argument("<secret>", "name or id")
    .action(
      api(async (client, g, ref: string) => {
        const { versions } = await client.listSecretVersions({ secretId: await secretIdOf(client, ref) });
        printMessages(SecretVersionSchema, versions, g.output, ["version", "created_by", "created_at", "kek_version"]);
      }),
    );

  addResourceTypeIdOptions(
    command("bind", "bind a secret to a resource", [
      "secretsctl secrets bind my-openai-key --resource SCORER_JOB/scorer-123 --field OPENAI_API_KEY",
      "secretsctl secrets bind my-openai-key --resource-type SCORER_JOB --resource-id scorer-123 --name api_key",
    ])
      .argument("<secret>", "name or id")
      .option("--resource <TYPE/ID>", "(required, or --resource-type and --resource-id) e.g. SCORER_JOB/scorer-123")
      .option("--field <ENV_NAME>", `(required, or --name) ${FIELD_HELP}`)
      .option("--name <ENV_NAME>", "same as --field (MLflow's spelling)")
      .option("--field-name <ENV_NAME>", "same as --field"),
  ).action(
    api(async (client, g, ref: string, opts: BindingOptions) => {
      const target = requireResource(opts.resource, opts, "--resource");
      const fieldName = bindingField(opts);
      if (!fieldName) throw new CliError(`give the field with --field (or --name): ${FIELD_HELP}`, EXIT.usage);
      const res = await client.bindSecret({ secretId: await secretIdOf(client, ref), ...target, fieldName });
      printMessage(SecretBindingSchema, res.binding!, g.output);
    }),
  );

  addResourceTypeIdOptions(
    command("unbind", "remove a binding, by its id or by resource and field", [
      "secretsctl secrets unbind 0193f3c2-8a10-7c3e-b1d2-5e6f7a8b9c0d",
      "secretsctl secrets unbind --resource SCORER_JOB/scorer-123 --field OPENAI_API_KEY",
    ])
      .argument("[binding-id]")
      .option("--resource <TYPE/ID>", "with --field, instead of a binding id")
      .option("--field <ENV_NAME>", "the binding's field")
      .option("--name <ENV_NAME>", "same as --field (MLflow's spelling)")
      .option("--field-name <ENV_NAME>", "same as --field"),
  ).action(
    api(async (client, g, bindingId: string | undefined, opts: BindingOptions) => {
      const target = resourceOf(opts.resource, opts, "--resource");
      const fieldName = bindingField(opts);
      if (!bindingId && !(target && fieldName)) throw new CliError("give a binding id, or the resource and --field", EXIT.usage);
      await client.unbindSecret(bindingId ? { bindingId } : { ...target!, fieldName: fieldName! });
      if (g.output === "json") printObject({ ...(bindingId ? { binding_id: bindingId } : { resource_type: target!.resourceType, resource_id: target!.resourceId, field_name: fieldName }), unbound: true }, "json");
      else process.stderr.write("unbound\n");
    }),
  );

  addResourceTypeIdOptions(
    command("list-bindings", "list bindings, by resource and/or secret (every page)", [
      "secretsctl secrets list-bindings --resource SCORER_JOB/scorer-123",
      "secretsctl secrets list-bindings --resource-type SCORER_JOB",
      "secretsctl secrets list-bindings --secret my-openai-key -o json",
    ])
      .option("--resource <TYPE/ID>", "bindings on this resource")
      .option("--secret <secret>", "bindings of this secret (name or id)"),
  ).action(
    api(async (client, g, opts: ResourceFlags & { resource?: string; secret?: string }) => {
      const typeOnly = opts.resource === undefined && opts.resourceType !== undefined && opts.resourceId === undefined;
      const where = typeOnly ? { resourceType: opts.resourceType } : resourceOf(opts.resource, opts, "--resource");
      const filter = { ...where, secretId: opts.secret === undefined ? undefined : await secretIdOf(client, opts.secret) };
      const all: SecretBinding[] = [];
      let pageToken = "";
      do {
        const page = await client.listBindings({ ...filter, pageSize: 1000, pageToken });
        all.push(...page.bindings);
        pageToken = page.nextPageToken;
      } while (pageToken);
      printMessages(SecretBindingSchema, all, g.output, ["binding_id", "secret_id", "resource_type", "resource_id", "field_name", "created_by", "created_at"]);
    }),
  );

  const accessCommand = (name: string, description: string, examples: readonly string[]) =>
    addResourceTypeIdOptions(command(name, description, examples).argument("[TYPE/ID]", "the resource, e.g. SCORER_JOB/scorer-123 (or --resource-type and --resource-id)"));
  const printAccess = (access: ResourceAccess | undefined, format: OutputFormat) => printMessage(ResourceAccessSchema, access!, format);

  accessCommand("access", "who owns a resource and whom its owner let bind to it", ["secretsctl secrets access SCORER_JOB/scorer-123"]).action(
    api(async (client, g, spec: string | undefined, opts: ResourceFlags) => {
      printAccess((await client.getResourceAccess(requireResource(spec, opts, "the resource"))).resourceAccess, g.output);
    }),
  );

  accessCommand("grant", "let another principal bind to, unbind from and list a resource you own (claims it if nobody owns it yet)", [
    "secretsctl secrets grant SCORER_JOB/scorer-123 --principal carol",
  ])
    .requiredOption("--principal <name>", "the token name or JWT subject to let in")
    .action(
      api(async (client, g, spec: string | undefined, opts: ResourceFlags & { principal: string }) => {
        printAccess((await client.grantResourceAccess({ ...requireResource(spec, opts, "the resource"), principal: opts.principal })).resourceAccess, g.output);
      }),
    );

  accessCommand("revoke-grant", "withdraw a grant on a resource you own (the bindings the grantee made stay)", ["secretsctl secrets revoke-grant SCORER_JOB/scorer-123 --principal carol"])
    .requiredOption("--principal <name>", "the principal whose grant to withdraw")
    .action(
      api(async (client, g, spec: string | undefined, opts: ResourceFlags & { principal: string }) => {
        printAccess((await client.revokeResourceAccess({ ...requireResource(spec, opts, "the resource"), principal: opts.principal })).resourceAccess, g.output);
      }),
    );

  accessCommand("transfer", "give a resource to another owner (admins only)", ["secretsctl secrets transfer SCORER_JOB/scorer-123 --to bob"])
    .requiredOption("--to <name>", "the new owner")
    .action(
      api(async (client, g, spec: string | undefined, opts: ResourceFlags & { to: string }) => {
        printAccess((await client.transferResourceOwnership({ ...requireResource(spec, opts, "the resource"), newOwner: opts.to })).resourceAccess, g.output);
      }),
    );
}

interface CreateOptions extends ResourceFlags {
  name?: string;
  field?: string;
  fieldName?: string;
  value?: string | true;
  valueFile?: string;
  fields?: boolean;
  provider?: string;
  model?: string;
  shared?: boolean;
  authConfig?: string[];
  bind?: string;
  requestId?: string;
}

interface UpdateOptions {
  value?: string | true;
  valueFile?: string;
  fields?: boolean;
  provider?: string;
  model?: string;
  authConfig?: string[];
  clearAuthConfig?: boolean;
  etag?: string;
}

interface BindingOptions extends ResourceFlags {
  resource?: string;
  field?: string;
  name?: string;
  fieldName?: string;
}

const bindingField = (opts: BindingOptions) => oneOf({ "--field": opts.field, "--name": opts.name, "--field-name": opts.fieldName });

function printSecretAndBinding(secret: Secret, binding: SecretBinding, format: OutputFormat): void {
  if (format === "json") {
    printObject({ secret: messageRecord(SecretSchema, secret, format), binding: messageRecord(SecretBindingSchema, binding, format) }, format);
    return;
  }
  printMessage(SecretSchema, secret, format);
  process.stdout.write("\n");
  printMessage(SecretBindingSchema, binding, format);
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
