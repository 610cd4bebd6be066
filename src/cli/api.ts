import { type Command, Option } from "commander";
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { type SecretsClient, createSecretsClient, createServiceTransport } from "../client/secrets-client.js";
import { CliError, EXIT } from "./exit-codes.js";

/** Options every command that goes through the service's API reads. */
export interface ApiOptions {
  /** `true`: given without an address, which means the configured one. */
  server?: string | true;
  protocol: "connect" | "grpc";
}

const DEFAULT_ADDRESS = "127.0.0.1:50051";

export const API_ENV_HELP = `
Environment:
  SECRETS_TOKEN    the API token (or JWT) to call with (required)
  SECRETS_SERVER   the service's address, host:port or URL, when --server is not given
  SECRETS_ADDR     read when SECRETS_SERVER is unset: the address the server listens on (${DEFAULT_ADDRESS} by default)`;

/**
 * --server and --protocol, for a command or a group of commands that call the
 * API. A command that also works without the API takes `--server [address]`:
 * given bare, it means "through the API, at the configured address".
 */
export function addApiOptions(cmd: Command, server: "--server <address>" | "--server [address]" = "--server <address>"): Command {
  return cmd
    .option(server, `service address, host:port or http(s) URL (default: SECRETS_SERVER, else SECRETS_ADDR, else ${DEFAULT_ADDRESS})`)
    .addOption(new Option("--protocol <protocol>", "connect (Connect JSON over HTTP/1.1) or grpc (HTTP/2)").choices(["connect", "grpc"]).default("connect"));
}

/** The server address a command calls: --server, else SECRETS_SERVER, else SECRETS_ADDR, else the server's default. */
export function serverAddress(flag: string | true | undefined): string {
  return (typeof flag === "string" && flag) || process.env.SECRETS_SERVER || process.env.SECRETS_ADDR || DEFAULT_ADDRESS;
}

export function apiClient(opts: ApiOptions): SecretsClient {
  return createSecretsClient({ address: serverAddress(opts.server), token: apiToken(), protocol: opts.protocol });
}

/** A client of another of the service's services (tokens, gateway, providers), on the same terms. */
export function serviceClient<S extends DescService>(service: S, opts: ApiOptions): Client<S> {
  return createClient(service, createServiceTransport({ address: serverAddress(opts.server), token: apiToken(), protocol: opts.protocol }));
}

function apiToken(): string {
  const token = process.env.SECRETS_TOKEN;
  if (!token) throw new CliError("set SECRETS_TOKEN to an API token (see secretsctl token create)", EXIT.denied);
  return token;
}
