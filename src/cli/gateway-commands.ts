import type { Command } from "commander";
import { EndpointBindingSchema, EndpointSchema, GatewayService, LinkageType, ModelDefinitionSchema, UnavailableReason } from "../../gen/secrets/v1/gateway_pb.js";
import { ProviderKeySchema, ProviderKeyStatusSchema, ProviderSchema, ProviderService } from "../../gen/secrets/v1/providers_pb.js";
import { maskValue } from "../crypto/masking.js";
import { API_ENV_HELP, type ApiOptions, addApiOptions, apiClient, serviceClient } from "./api.js";
import { CliError, EXIT } from "./exit-codes.js";
import { helpAfter } from "./help.js";
import { type OutputFormat, outputOption, printMessage, printMessages, printRows } from "./output.js";
import { parseResource } from "./resource-flags.js";
import { secretIdOf } from "./secret-ref.js";
import { readValue } from "./value-input.js";

type Options = ApiOptions & { output: OutputFormat };

// Gateway ids carry MLflow's prefixes (d-…, e-…); anything else is a name.
const isId = (ref: string, prefix: string) => new RegExp(`^${prefix}-[0-9a-f-]{36}$`).test(ref);

/**
 * `secretsctl gateway …` and `secretsctl providers …`: the main flows of the
 * gateway (model definitions, endpoints, bindings, what a resource resolves
 * to — names and masked values only) and of provider keys, through the API.
 */
export function gatewayCommands(program: Command): void {
  const gateway = program.command("gateway").description("model definitions, endpoints and their bindings (MLflow's AI gateway), through the API");
  const command = (parent: Command, name: string, description: string, examples: readonly string[]) =>
    addApiOptions(helpAfter(parent.command(name).description(description), examples, API_ENV_HELP)).addOption(outputOption());

  const models = gateway.command("models").description("model definitions: a provider and model, and the key they use");
  command(models, "create", "define a model; without --secret it uses your provider key for its provider", [
    "secretsctl gateway models create gpt-4o --provider openai --model gpt-4o --secret scorer-openai-key",
    "secretsctl gateway models create claude --provider anthropic --model claude-sonnet-4-20250514    # uses a provider key",
  ])
    .argument("<name>")
    .requiredOption("--provider <provider>", "e.g. openai (secretsctl providers list)")
    .requiredOption("--model <model>", "the provider's model id, e.g. gpt-4o")
    .option("--secret <name-or-id>", "the secret holding its key (default: a provider key)")
    .action(async (name: string, opts: Options & { provider: string; model: string; secret?: string }) => {
      const secretId = opts.secret ? await secretIdOf(apiClient(opts), opts.secret) : "";
      const res = await serviceClient(GatewayService, opts).createModelDefinition({ name, provider: opts.provider, modelName: opts.model, secretId });
      printMessage(ModelDefinitionSchema, res.modelDefinition!, opts.output);
      if (res.providerCheck && !res.providerCheck.modelCatalogued) process.stderr.write(`note: ${opts.model} is not in the ${opts.provider} catalog (allowed: new models appear weekly)\n`);
    });
  command(models, "list", "the model definitions you may see", ["secretsctl gateway models list", "secretsctl gateway models list --provider openai -o json"])
    .option("--provider <provider>")
    .action(async (opts: Options & { provider?: string }) => {
      const res = await serviceClient(GatewayService, opts).listModelDefinitions({ provider: opts.provider, pageSize: 1000 });
      printMessages(ModelDefinitionSchema, res.modelDefinitions, opts.output, ["model_definition_id", "name", "provider", "model_name", "secret_name", "created_by"]);
    });

  const endpoints = gateway.command("endpoints").description("endpoints: primary models sharing traffic by weight, fallbacks in order");
  command(endpoints, "create", "create an endpoint from model definitions (by name or id)", [
    "secretsctl gateway endpoints create chat --primary gpt-4o:3 --primary claude:1 --fallback gpt-4o-mini --max-attempts 1",
  ])
    .argument("<name>")
    .requiredOption("--primary <models...>", "primary model definitions, each NAME or NAME:WEIGHT (traffic weight, default 1)")
    .option("--fallback <model...>", "fallback model definitions, tried in the order given")
    .option("--max-attempts <n>", "fallbacks to try at most (default: all)", (v) => Number(v))
    .action(async (name: string, opts: Options & { primary: string[]; fallback?: string[]; maxAttempts?: number }) => {
      const client = serviceClient(GatewayService, opts);
      const idOf = async (ref: string) => (isId(ref, "d") ? ref : (await client.getModelDefinition({ name: ref })).modelDefinition!.modelDefinitionId);
      const primaries = await Promise.all(
        opts.primary.map(async (spec) => {
          const [ref, weight] = spec.split(/:(?=[\d.]+$)/);
          return { modelDefinitionId: await idOf(ref!), linkageType: LinkageType.PRIMARY, weight: weight === undefined ? undefined : Number(weight) };
        }),
      );
      const fallbacks = await Promise.all((opts.fallback ?? []).map(async (ref, i) => ({ modelDefinitionId: await idOf(ref), linkageType: LinkageType.FALLBACK, fallbackOrder: i })));
      const res = await client.createEndpoint({
        name,
        modelConfigs: [...primaries, ...fallbacks],
        fallbackConfig: opts.maxAttempts === undefined ? undefined : { maxAttempts: opts.maxAttempts },
      });
      printMessage(EndpointSchema, res.endpoint!, opts.output);
    });
  command(endpoints, "list", "the endpoints you may see; --secret: those that use a key", ["secretsctl gateway endpoints list", "secretsctl gateway endpoints list --secret scorer-openai-key"])
    .option("--provider <provider>")
    .option("--secret <name-or-id>")
    .action(async (opts: Options & { provider?: string; secret?: string }) => {
      const secretId = opts.secret ? await secretIdOf(apiClient(opts), opts.secret) : undefined;
      const res = await serviceClient(GatewayService, opts).listEndpoints({ provider: opts.provider, secretId, pageSize: 1000 });
      const rows = res.endpoints.map((e) => ({
        endpoint_id: e.endpointId,
        name: e.name,
        models: e.modelMappings.map((m) => `${m.modelDefinition?.name}${m.linkageType === LinkageType.FALLBACK ? ` (fallback ${m.fallbackOrder})` : `×${m.weight}`}`).join(", "),
        created_by: e.createdBy,
      }));
      printRows(rows, opts.output);
    });

  command(gateway, "bind", "bind an endpoint (by name or id) to a resource; the first principal to bind to a resource owns it", [
    'secretsctl gateway bind chat --resource SCORER_JOB/scorer-123 --display-name "nightly scorer"',
  ])
    .argument("<endpoint>")
    .requiredOption("--resource <TYPE/ID>")
    .option("--display-name <name>", "what people know the resource as")
    .action(async (endpoint: string, opts: Options & { resource: string; displayName?: string }) => {
      const client = serviceClient(GatewayService, opts);
      const endpointId = isId(endpoint, "e") ? endpoint : (await client.getEndpoint({ name: endpoint })).endpoint!.endpointId;
      const res = await client.createEndpointBinding({ endpointId, ...parseResource(opts.resource, "--resource"), displayName: opts.displayName ?? "" });
      printMessage(EndpointBindingSchema, res.binding!, opts.output);
    });

  command(gateway, "resolve", "what a resource resolves to (service or admin token): endpoints, models, where each credential comes from, masked values only", [
    "SECRETS_TOKEN=$JOB_TOKEN secretsctl gateway resolve --resource SCORER_JOB/scorer-123",
  ])
    .requiredOption("--resource <TYPE/ID>")
    .action(async (opts: Options & { resource: string }) => {
      const { configs } = await serviceClient(GatewayService, opts).getResourceEndpointConfigs(parseResource(opts.resource, "--resource"));
      const rows = configs.flatMap((c) => [
        ...c.models.map((m) => ({
          endpoint: c.endpointName,
          model: m.name,
          provider: m.provider,
          linkage: m.linkageType === LinkageType.FALLBACK ? `fallback ${m.fallbackOrder}` : `primary ×${m.weight}`,
          credential: m.value ? maskValue(m.value) : Object.entries(m.fields).map(([k, v]) => `${k}=${maskValue(v)}`).join(" "),
          source: ["", "model secret", "provider key", "shared provider key"][m.credentialSource] ?? "",
        })),
        ...c.unavailable.map((u) => ({ endpoint: c.endpointName, model: u.name, provider: u.provider, linkage: "unavailable", credential: UnavailableReason[u.reason], source: u.message })),
      ]);
      printRows(rows, opts.output);
    });

  const providers = program.command("providers").description("the provider catalog and your provider keys, through the API");
  command(providers, "list", "providers the catalog knows, with their usual variable and auth modes", ["secretsctl providers list", "secretsctl providers list -o json"]).action(
    async (opts: Options) => {
      const res = await serviceClient(ProviderService, opts).listProviders({});
      if (opts.output === "json") return printMessages(ProviderSchema, res.providers, "json");
      printRows(
        res.providers.map((p) => ({ provider: p.providerId, name: p.displayName, variable: p.defaultEnvVar, auth_modes: p.authModes.map((m) => m.mode).join(", "), models: p.modelCount })),
        "table",
      );
    },
  );
  command(providers, "set-key", "make a secret your key for a provider (or, for admins with --shared, everyone's fallback); the value from stdin unless --secret", [
    "echo sk-... | secretsctl providers set-key openai --name my-openai-key",
    "secretsctl providers set-key anthropic --secret team-anthropic --shared      # admins",
  ])
    .argument("<provider>")
    .option("--secret <name-or-id>", "an existing secret")
    .option("--name <secret-name>", "the name of the secret to create from stdin")
    .option("--shared", "the provider's shared key (admins; the secret must be shared)")
    .action(async (provider: string, opts: Options & { secret?: string; name?: string; shared?: boolean }) => {
      if (!opts.secret && !opts.name) throw new CliError("give --secret (an existing secret) or --name (a new one, its value from stdin)", EXIT.usage);
      const key = opts.secret
        ? { case: "secretId" as const, value: await secretIdOf(apiClient(opts), opts.secret) }
        : { case: "newSecret" as const, value: { secretName: opts.name!, secretValue: await readValue({}), secretFields: {}, authConfig: {}, fieldName: "" } };
      const res = await serviceClient(ProviderService, opts).setProviderKey({ provider, key, isShared: opts.shared ?? false });
      printMessage(ProviderKeySchema, res.providerKey!, opts.output);
    });
  command(providers, "keys", "your provider keys and the shared ones, with how many of your models rely on each", ["secretsctl providers keys"]).action(async (opts: Options) => {
    const client = serviceClient(ProviderService, opts);
    if (opts.output === "json") return printMessages(ProviderKeyStatusSchema, (await client.getProviderKeyStatus({})).providers, "json");
    printMessages(ProviderKeySchema, (await client.listProviderKeys({})).providerKeys, "table", ["provider", "principal", "is_shared", "secret_name", "set_by", "set_at"]);
  });
}
