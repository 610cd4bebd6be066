import { type Command, InvalidArgumentError } from "commander";
import { AuditEventSchema } from "../../gen/secrets/v1/service_pb.js";
import { API_ENV_HELP, type ApiOptions, addApiOptions, apiClient } from "./api.js";
import { helpAfter } from "./help.js";
import { OUTPUT_HELP, type OutputFormat, messageRecord, outputOption, printJsonLine, printRows } from "./output.js";
import { positiveInt } from "./parsers.js";
import { secretIdOf } from "./secret-ref.js";
import { parseDuration } from "./token-commands.js";

interface AuditOptions extends ApiOptions {
  principal?: string;
  secret?: string;
  action?: string;
  since?: Date;
  until?: Date;
  limit: number;
  output: OutputFormat;
}

/** `secretsctl audit`: the audit trail through ListAuditEvents (admins), newest first. */
export function auditCommand(program: Command): void {
  const cmd = addApiOptions(program.command("audit").description("read the audit trail, newest first (admins): who did what to which secret, and who received which value version"))
    .option("--principal <name>", "only calls by this principal (a token name or JWT subject)")
    .option("--secret <secret>", "only events about this secret (name or id; a deleted secret by id)")
    .option("--action <rpc>", "only this RPC, e.g. ResolveResourceSecrets, UpdateSecret")
    .option("--since <time>", "from this time: ISO-8601 (2025-06-01, 2025-06-01T12:00:00Z) or a duration ago (30m, 2h, 7d)", parseTime("--since"))
    .option("--until <time>", "before this time, in the same forms", parseTime("--until"))
    .option("--limit <n>", "at most this many events", positiveInt("--limit"), 100)
    .addOption(outputOption());
  helpAfter(
    cmd,
    [
      "secretsctl audit --since 1h",
      "secretsctl audit --secret my-openai-key --action ResolveResourceSecrets",
      "secretsctl audit --principal alice --since 2025-06-01 --until 2025-06-02 -o json | jq .outcome",
    ],
    `${API_ENV_HELP}\n${OUTPUT_HELP} With -o json, one event per line (JSON lines).`,
  );
  cmd.action(async (opts: AuditOptions) => {
    const client = apiClient(opts);
    const filter = {
      principal: opts.principal,
      action: opts.action,
      secretId: opts.secret === undefined ? undefined : await secretIdOf(client, opts.secret),
      startTime: opts.since && BigInt(opts.since.getTime()),
      endTime: opts.until && BigInt(opts.until.getTime()),
    };
    const rows: Array<Record<string, unknown>> = [];
    let pageToken = "";
    let seen = 0;
    do {
      const page = await client.listAuditEvents({ ...filter, pageSize: Math.min(1000, opts.limit - seen), pageToken });
      for (const event of page.events.slice(0, opts.limit - seen)) {
        const record = messageRecord(AuditEventSchema, event, opts.output);
        // JSON lines go out as they come; a table needs every row for its widths.
        if (opts.output === "json") printJsonLine(record);
        else rows.push(record);
        seen++;
      }
      pageToken = page.nextPageToken;
    } while (pageToken && seen < opts.limit);
    if (opts.output === "table") {
      printRows(rows, "table", ["time", "principal", "action", "outcome", "secret_id", "secret_version", "resource_type", "resource_id", "subject", "request_id"]);
    }
  });
}

function parseTime(flag: string) {
  return (text: string): Date => {
    if (/^\d+[smhd]$/.test(text)) return new Date(Date.now() - parseDuration(text));
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new InvalidArgumentError(`${flag} takes a time (2025-06-01, 2025-06-01T12:00:00Z) or a duration ago (30m, 2h, 7d)`);
    return new Date(ms);
  };
}
