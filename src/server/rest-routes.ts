import { type DescMethod, type DescService, getOption, hasOption } from "@bufbuild/protobuf";
import { http } from "../../gen/google/api/annotations_pb.js";
import type { HttpRule } from "../../gen/google/api/http_pb.js";

/** One REST route, derived from a `google.api.http` rule. */
export interface RestRoute {
  verb: string;
  /** The template as written in the contract, e.g. /api/2.0/mlflow/secrets/get. */
  template: string;
  pattern: RegExp;
  /** Request field paths bound by the template's {variables}, in capture order. */
  variables: string[][];
  method: DescMethod;
  /** "" (no body), "*" (the whole request), or a request field name. */
  body: string;
  /** "" (the whole response) or a response field name. */
  responseBody: string;
  /** Answer enums in MLflow's bare spelling (PRIMARY), as its gateway clients expect. */
  mlflowEnums: boolean;
}

/** Services whose REST answers spell enums as MLflow does. */
const MLFLOW_ENUM_SERVICES = new Set(["secrets.v1.GatewayService"]);

/**
 * The REST routes of the given services, read from their `google.api.http`
 * annotations (additional_bindings included). Every `/api/...` route is also
 * served under `/ajax-api/...`, and every `/api/2.0/...` one under `/api/3.0/...`,
 * as MLflow does.
 */
export function restRoutes(services: readonly DescService[]): RestRoute[] {
  const routes: RestRoute[] = [];
  const seen = new Set<string>();
  for (const service of services) {
    for (const method of service.methods) {
      if (!hasOption(method, http)) continue;
      const rule = getOption(method, http);
      for (const r of [rule, ...rule.additionalBindings]) {
        const verb = verbOf(r);
        if (!verb) continue;
        for (const template of aliases(verb.path)) {
          const key = `${verb.verb} ${template}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const { pattern, variables } = compileTemplate(template);
          routes.push({ verb: verb.verb, template, pattern, variables, method, body: r.body, responseBody: r.responseBody, mlflowEnums: MLFLOW_ENUM_SERVICES.has(service.typeName) });
        }
      }
    }
  }
  return routes;
}

function verbOf(rule: HttpRule): { verb: string; path: string } | undefined {
  switch (rule.pattern.case) {
    case "get":
    case "put":
    case "post":
    case "delete":
    case "patch":
      return { verb: rule.pattern.case.toUpperCase(), path: rule.pattern.value };
    case "custom":
      return { verb: rule.pattern.value.kind.toUpperCase(), path: rule.pattern.value.path };
    default:
      return undefined;
  }
}

function aliases(path: string): string[] {
  const out = [path];
  if (path.startsWith("/api/2.0/")) out.push(path.replace("/api/2.0/", "/api/3.0/"));
  for (const p of [...out]) if (p.startsWith("/api/")) out.push(p.replace("/api/", "/ajax-api/"));
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Compiles a path template: literal segments, `{field}` (one segment),
 * `{field=pattern}` where `*` is one segment and `**` any number.
 */
export function compileTemplate(template: string): { pattern: RegExp; variables: string[][] } {
  const variables: string[][] = [];
  let source = "";
  let rest = template;
  while (rest.length > 0) {
    const open = rest.indexOf("{");
    if (open < 0) {
      source += escape(rest);
      break;
    }
    source += escape(rest.slice(0, open));
    const close = rest.indexOf("}", open);
    if (close < 0) throw new Error(`unbalanced { in path template ${template}`);
    const [field, sub = "*"] = rest.slice(open + 1, close).split("=", 2) as [string, string?];
    variables.push(field.split("."));
    const segment = sub
      .split("/")
      .map((s) => (s === "**" ? ".+" : s === "*" ? "[^/]+" : escape(s)))
      .join("/");
    source += `(${segment})`;
    rest = rest.slice(close + 1);
  }
  return { pattern: new RegExp(`^${source}$`), variables };
}
