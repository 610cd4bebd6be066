import type { Command } from "commander";
import { CliError, EXIT } from "./exit-codes.js";

/**
 * A resource is named either as one `TYPE/ID` (`--resource`, `--bind`, or a
 * command's argument) or as MLflow's CLI spells it, `--resource-type TYPE
 * --resource-id ID`; a binding's field as `--field`, `--field-name` or, where
 * MLflow's CLI uses it (bind, unbind), `--name`.
 */
export interface ResourceFlags {
  resourceType?: string;
  resourceId?: string;
}

export interface Resource {
  resourceType: string;
  resourceId: string;
}

export function addResourceTypeIdOptions(cmd: Command): Command {
  return cmd.option("--resource-type <TYPE>", "the resource's type, e.g. SCORER_JOB (with --resource-id)").option("--resource-id <ID>", "the resource's id, e.g. scorer-123 (with --resource-type)");
}

/** The resource a command names one way or the other; `spec` is the TYPE/ID form and `flag` what it was typed as. */
export function resourceOf(spec: string | undefined, flags: ResourceFlags, flag: string): Resource | undefined {
  const split = flags.resourceType !== undefined || flags.resourceId !== undefined;
  if (spec !== undefined && split) throw new CliError(`give either ${flag} TYPE/ID or --resource-type and --resource-id, not both`, EXIT.usage);
  if (spec !== undefined) return parseResource(spec, flag);
  if (!split) return undefined;
  if (!flags.resourceType || !flags.resourceId) throw new CliError("--resource-type and --resource-id go together", EXIT.usage);
  return { resourceType: flags.resourceType, resourceId: flags.resourceId };
}

export function requireResource(spec: string | undefined, flags: ResourceFlags, flag: string): Resource {
  const found = resourceOf(spec, flags, flag);
  if (!found) throw new CliError(`give the resource as ${flag} TYPE/ID (e.g. SCORER_JOB/scorer-123) or --resource-type and --resource-id`, EXIT.usage);
  return found;
}

export function parseResource(spec: string, flag: string): Resource {
  const i = spec.indexOf("/");
  if (i <= 0 || i === spec.length - 1) throw new CliError(`${flag} takes TYPE/ID, e.g. SCORER_JOB/job-42, not "${spec}"`, EXIT.usage);
  return { resourceType: spec.slice(0, i), resourceId: spec.slice(i + 1) };
}

/** The one value given under any of a flag's spellings; two different ones are refused. */
export function oneOf(values: Record<string, string | undefined>): string | undefined {
  const given = Object.entries(values).filter(([, v]) => v !== undefined);
  if (new Set(given.map(([, v]) => v)).size > 1) throw new CliError(`${given.map(([flag]) => flag).join(" and ")} are spellings of one option and got different values: give one`, EXIT.usage);
  return given[0]?.[1];
}
