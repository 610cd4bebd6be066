/**
 * What the model catalog package does not say: how each provider
 * authenticates, and which of its fields are secret (stored encrypted, in
 * the value) and which are configuration (stored in clear, in auth_config).
 * Field names follow MLflow's gateway (api_key, aws_access_key_id, ...).
 */

export interface AuthField {
  name: string;
  description: string;
  required: boolean;
  /** Pre-filled in forms for config fields. */
  defaultValue?: string;
  /** The environment variable this field is conventionally read from. */
  envVar?: string;
}

export interface AuthMode {
  name: string;
  displayName: string;
  description: string;
  secretFields: AuthField[];
  configFields: AuthField[];
}

export interface ProviderAuth {
  /** The id in the catalog package, when it differs (or undefined when the package lacks the provider). */
  catalogId?: string | null;
  displayName?: string;
  documentationUrl?: string;
  modes: AuthMode[];
}

const secret = (name: string, description: string, envVar?: string, required = true): AuthField => ({ name, description, required, envVar });
const config = (name: string, description: string, opts: { required?: boolean; defaultValue?: string; envVar?: string } = {}): AuthField => ({
  name,
  description,
  required: opts.required ?? false,
  defaultValue: opts.defaultValue,
  envVar: opts.envVar,
});

const apiBase = (who: string, required = false, envVar?: string) => config("api_base", `${who} API base URL (https only)`, { required, envVar });

/** The mode of every provider that takes one API key: MLflow's "simple API key" mode. */
export function apiKeyMode(displayName: string, envVar: string | undefined, options: { apiBaseRequired?: boolean; extraConfig?: AuthField[] } = {}): AuthMode {
  return {
    name: "api_key",
    displayName: "API key",
    description: `Use a ${displayName} API key`,
    secretFields: [secret("api_key", `${displayName} API key`, envVar)],
    configFields: [apiBase(displayName, options.apiBaseRequired), ...(options.extraConfig ?? [])],
  };
}

/** Providers whose authentication the catalog's single env var does not describe, or that the catalog lacks. */
export const PROVIDER_AUTH: Record<string, ProviderAuth> = {
  openai: { modes: [apiKeyMode("OpenAI", "OPENAI_API_KEY", { extraConfig: [config("organization", "OpenAI organization id", { envVar: "OPENAI_ORG_ID" })] })] },
  azure: {
    displayName: "Azure OpenAI",
    modes: [
      {
        name: "api_key",
        displayName: "API key",
        description: "Use an Azure OpenAI resource key",
        secretFields: [secret("api_key", "Azure OpenAI key", "AZURE_API_KEY")],
        configFields: [
          config("api_base", "The resource endpoint, e.g. https://my-resource.openai.azure.com", { required: true, envVar: "AZURE_API_BASE" }),
          config("api_version", "API version", { required: true, defaultValue: "2024-10-21", envVar: "AZURE_API_VERSION" }),
        ],
      },
      {
        name: "service_principal",
        displayName: "Service principal",
        description: "Use an Entra ID application (client credentials)",
        secretFields: [secret("client_secret", "Client secret of the application", "AZURE_CLIENT_SECRET")],
        configFields: [
          config("api_base", "The resource endpoint", { required: true, envVar: "AZURE_API_BASE" }),
          config("client_id", "Application (client) id", { required: true, envVar: "AZURE_CLIENT_ID" }),
          config("tenant_id", "Directory (tenant) id", { required: true, envVar: "AZURE_TENANT_ID" }),
          config("api_version", "API version", { defaultValue: "2024-10-21", envVar: "AZURE_API_VERSION" }),
        ],
      },
    ],
  },
  anthropic: { modes: [apiKeyMode("Anthropic", "ANTHROPIC_API_KEY", { extraConfig: [config("version", "anthropic-version header", { defaultValue: "2023-06-01" })] })] },
  bedrock: {
    catalogId: "amazon-bedrock",
    modes: [
      {
        name: "access_keys",
        displayName: "Access keys",
        description: "Use an IAM user's access key pair, optionally with a session token",
        secretFields: [
          secret("aws_access_key_id", "AWS access key id", "AWS_ACCESS_KEY_ID"),
          secret("aws_secret_access_key", "AWS secret access key", "AWS_SECRET_ACCESS_KEY"),
          secret("aws_session_token", "Session token of temporary credentials", "AWS_SESSION_TOKEN", false),
        ],
        configFields: [config("aws_region_name", "AWS region, e.g. us-east-1", { required: true, envVar: "AWS_REGION" })],
      },
      {
        name: "api_key",
        displayName: "Bedrock API key",
        description: "Use an Amazon Bedrock API key (bearer token)",
        secretFields: [secret("api_key", "Amazon Bedrock API key", "AWS_BEARER_TOKEN_BEDROCK")],
        configFields: [config("aws_region_name", "AWS region, e.g. us-east-1", { required: true, envVar: "AWS_REGION" })],
      },
    ],
  },
  gemini: { catalogId: "google", displayName: "Google Gemini", modes: [apiKeyMode("Gemini", "GEMINI_API_KEY")] },
  vertex_ai: {
    catalogId: "google-vertex",
    displayName: "Vertex AI",
    modes: [
      {
        name: "service_account_json",
        displayName: "Service account",
        description: "Use a service account's JSON key file",
        secretFields: [secret("vertex_credentials", "The service account's JSON key file, whole", "GOOGLE_APPLICATION_CREDENTIALS")],
        configFields: [
          config("vertex_project", "Google Cloud project id", { envVar: "GOOGLE_VERTEX_PROJECT" }),
          config("vertex_location", "Region", { defaultValue: "us-central1", envVar: "GOOGLE_VERTEX_LOCATION" }),
        ],
      },
    ],
  },
  mistral: { modes: [apiKeyMode("Mistral", "MISTRAL_API_KEY")] },
  cohere: { catalogId: null, displayName: "Cohere", documentationUrl: "https://docs.cohere.com/docs/models", modes: [apiKeyMode("Cohere", "COHERE_API_KEY")] },
  groq: { modes: [apiKeyMode("Groq", "GROQ_API_KEY")] },
  deepseek: { modes: [apiKeyMode("DeepSeek", "DEEPSEEK_API_KEY")] },
  xai: { modes: [apiKeyMode("xAI", "XAI_API_KEY")] },
  togetherai: { modes: [apiKeyMode("Together AI", "TOGETHER_API_KEY")] },
  fireworks: { catalogId: "fireworks-ai", modes: [apiKeyMode("Fireworks AI", "FIREWORKS_API_KEY")] },
  openrouter: { modes: [apiKeyMode("OpenRouter", "OPENROUTER_API_KEY")] },
  databricks: {
    catalogId: null,
    displayName: "Databricks",
    documentationUrl: "https://docs.databricks.com/en/machine-learning/foundation-models/index.html",
    modes: [
      {
        name: "pat_token",
        displayName: "Personal access token",
        description: "Use a Databricks personal access token",
        secretFields: [secret("api_key", "Personal access token", "DATABRICKS_TOKEN")],
        configFields: [config("api_base", "Workspace URL, e.g. https://my-workspace.cloud.databricks.com", { required: true, envVar: "DATABRICKS_HOST" })],
      },
      {
        name: "oauth_m2m",
        displayName: "Service principal (OAuth M2M)",
        description: "Use a service principal's OAuth secret",
        secretFields: [secret("client_secret", "OAuth secret", "DATABRICKS_CLIENT_SECRET")],
        configFields: [
          config("api_base", "Workspace URL", { required: true, envVar: "DATABRICKS_HOST" }),
          config("client_id", "Service principal's application id", { required: true, envVar: "DATABRICKS_CLIENT_ID" }),
        ],
      },
    ],
  },
  openai_compatible: {
    catalogId: null,
    displayName: "OpenAI-compatible",
    documentationUrl: "https://platform.openai.com/docs/api-reference",
    modes: [apiKeyMode("OpenAI-compatible server", "OPENAI_API_KEY", { apiBaseRequired: true })],
  },
};

/** Catalog ids answered by the id this service uses (MLflow's provider names). */
export const PROVIDER_ALIASES: Record<string, string> = Object.fromEntries(
  Object.entries(PROVIDER_AUTH).flatMap(([id, p]) => (p.catalogId ? [[p.catalogId, id]] : [])),
);
