import { type FormEvent, useId, useState } from "react";
import { type Endpoint, FallbackStrategy, GatewayService, LinkageType, type ModelDefinition, RoutingStrategy } from "../../../gen/secrets/v1/gateway_pb.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { Dialog, DialogButtons } from "../ui/dialog.js";
import { ErrorNotice } from "../ui/states.js";
import { AddModelForm } from "./add-model-form.js";

interface Route {
  modelDefinitionId: string;
  weight: number;
}

const share = (weight: number, total: number) => (total > 0 ? `${Math.round((weight / total) * 100)}%` : "—");

/**
 * An endpoint's traffic split (primary models with weights) and its
 * ordered fallbacks, from existing model definitions or ones added from
 * the catalog here. Saving sends the whole list: the service replaces the
 * endpoint's mappings at once.
 */
export function EndpointDialog({ endpoint, models: listed, onClose }: { endpoint?: Endpoint; models: ModelDefinition[]; onClose: () => void }) {
  const id = useId();
  // Added here: shown at once, before the list they come from is refetched.
  const [added, setAdded] = useState<ModelDefinition[]>([]);
  const models = [...listed, ...added.filter((a) => !listed.some((m) => m.modelDefinitionId === a.modelDefinitionId))];
  const mappings = endpoint?.modelMappings ?? [];
  const [primaries, setPrimaries] = useState<Route[]>(
    mappings.filter((m) => m.linkageType !== LinkageType.FALLBACK).map((m) => ({ modelDefinitionId: m.modelDefinitionId, weight: m.weight })),
  );
  const [fallbacks, setFallbacks] = useState<string[]>(
    mappings
      .filter((m) => m.linkageType === LinkageType.FALLBACK)
      .sort((a, b) => (a.fallbackOrder ?? 0) - (b.fallbackOrder ?? 0))
      .map((m) => m.modelDefinitionId),
  );
  const [maxAttempts, setMaxAttempts] = useState(endpoint?.fallbackConfig?.maxAttempts || 0);
  const create = useConsoleMutation(GatewayService.method.createEndpoint, { doing: "Creating the endpoint", success: (r) => `Created endpoint ${r.endpoint?.name}.`, onSuccess: onClose });
  const update = useConsoleMutation(GatewayService.method.updateEndpoint, { doing: "Saving the endpoint", success: (r) => `Saved endpoint ${r.endpoint?.name}.`, onSuccess: onClose });
  const mutation = endpoint ? update : create;
  const nameOf = (modelId: string) => models.find((m) => m.modelDefinitionId === modelId)?.name ?? modelId;

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const name = String(new FormData(e.currentTarget).get("name")).trim();
    const modelConfigs = [
      ...primaries.map((p) => ({ modelDefinitionId: p.modelDefinitionId, linkageType: LinkageType.PRIMARY, weight: p.weight })),
      ...fallbacks.map((modelDefinitionId, i) => ({ modelDefinitionId, linkageType: LinkageType.FALLBACK, fallbackOrder: i })),
    ];
    const routing = { routingStrategy: RoutingStrategy.REQUEST_BASED_TRAFFIC_SPLIT, fallbackConfig: fallbacks.length ? { strategy: FallbackStrategy.SEQUENTIAL, maxAttempts } : undefined };
    if (endpoint) update.mutate({ endpointId: endpoint.endpointId, name: name === endpoint.name ? undefined : name, modelConfigs, ...routing });
    else create.mutate({ name, modelConfigs, ...routing });
  };
  const move = (i: number, by: number) => {
    const next = [...fallbacks];
    [next[i], next[i + by]] = [next[i + by]!, next[i]!];
    setFallbacks(next);
  };
  const addModel = (model: ModelDefinition, linkage: LinkageType) => {
    setAdded((list) => [...list, model]);
    if (linkage === LinkageType.FALLBACK) setFallbacks((list) => [...list, model.modelDefinitionId]);
    else setPrimaries((list) => [...list, { modelDefinitionId: model.modelDefinitionId, weight: list.length ? 0 : 100 }]);
  };
  const total = primaries.reduce((n, p) => n + (p.weight > 0 ? p.weight : 0), 0);
  const splitEvenly = () => setPrimaries(primaries.map((p, i) => ({ ...p, weight: Math.floor(100 / primaries.length) + (i < 100 % primaries.length ? 1 : 0) })));
  const unused = (current?: string) => models.filter((m) => m.modelDefinitionId === current || (!primaries.some((p) => p.modelDefinitionId === m.modelDefinitionId) && !fallbacks.includes(m.modelDefinitionId)));

  return (
    <Dialog title={endpoint ? `Edit ${endpoint.name}` : "Create endpoint"} onClose={onClose}>
      <form id={`${id}-form`} onSubmit={submit}>
        <label htmlFor={`${id}-name`}>Endpoint name</label>
        <input id={`${id}-name`} name="name" defaultValue={endpoint?.name ?? ""} required />
        <fieldset>
          <legend>Traffic split (primary models)</legend>
          {primaries.map((p, i) => (
            <div className="row" key={i}>
              <label htmlFor={`${id}-p${i}`}>Primary model {i + 1}</label>
              <select id={`${id}-p${i}`} value={p.modelDefinitionId} onChange={(e) => setPrimaries(primaries.map((q, j) => (j === i ? { ...q, modelDefinitionId: e.target.value } : q)))} required>
                <option value="">Choose a model definition</option>
                {unused(p.modelDefinitionId).map((m) => (
                  <option key={m.modelDefinitionId} value={m.modelDefinitionId}>
                    {m.name} ({m.provider}/{m.modelName})
                  </option>
                ))}
              </select>
              <label htmlFor={`${id}-w${i}`}>Weight of model {i + 1}</label>
              <input id={`${id}-w${i}`} type="number" min={0} step="any" value={p.weight} onChange={(e) => setPrimaries(primaries.map((q, j) => (j === i ? { ...q, weight: Number(e.target.value) } : q)))} />
              <output htmlFor={`${id}-w${i}`} aria-label={`Share of model ${i + 1}`}>
                {share(p.weight, total)}
              </output>
              <button type="button" onClick={() => setPrimaries(primaries.filter((_, j) => j !== i))} aria-label={`Remove primary model ${i + 1}`}>
                Remove
              </button>
            </div>
          ))}
          <button type="button" onClick={() => setPrimaries([...primaries, { modelDefinitionId: "", weight: primaries.length ? 0 : 100 }])}>
            Add primary model
          </button>{" "}
          {primaries.length > 1 && (
            <button type="button" onClick={splitEvenly}>
              Split evenly
            </button>
          )}
          <p className="help">Each request goes to one primary model, chosen in proportion to the weights.</p>
        </fieldset>
        <fieldset>
          <legend>Fallbacks, tried in order</legend>
          <ol>
            {fallbacks.map((modelId, i) => (
              <li key={i} className="row">
                <label htmlFor={`${id}-f${i}`}>Fallback {i + 1}</label>
                <select id={`${id}-f${i}`} value={modelId} onChange={(e) => setFallbacks(fallbacks.map((f, j) => (j === i ? e.target.value : f)))} required>
                  <option value="">Choose a model definition</option>
                  {unused(modelId).map((m) => (
                    <option key={m.modelDefinitionId} value={m.modelDefinitionId}>
                      {m.name}
                    </option>
                  ))}
                </select>
                <button type="button" onClick={() => move(i, -1)} disabled={i === 0} aria-label={`Move ${nameOf(modelId)} up`}>
                  ↑
                </button>
                <button type="button" onClick={() => move(i, 1)} disabled={i === fallbacks.length - 1} aria-label={`Move ${nameOf(modelId)} down`}>
                  ↓
                </button>
                <button type="button" onClick={() => setFallbacks(fallbacks.filter((_, j) => j !== i))} aria-label={`Remove fallback ${i + 1}`}>
                  Remove
                </button>
              </li>
            ))}
          </ol>
          <button type="button" onClick={() => setFallbacks([...fallbacks, ""])}>
            Add fallback
          </button>
          <label htmlFor={`${id}-attempts`}>Max attempts</label>
          <input id={`${id}-attempts`} type="number" min={0} max={fallbacks.length} value={maxAttempts} onChange={(e) => setMaxAttempts(Number(e.target.value))} aria-describedby={`${id}-attempts-help`} />
          <p id={`${id}-attempts-help`} className="help">
            How many fallbacks to try at most; 0 tries every one.
          </p>
        </fieldset>
      </form>
      <AddModelForm onAdded={addModel} />
      {mutation.error && <ErrorNotice error={mutation.error} doing={endpoint ? "Saving the endpoint" : "Creating the endpoint"} />}
      <DialogButtons onCancel={onClose} form={`${id}-form`} submit={endpoint ? "Save endpoint" : "Create endpoint"} disabled={mutation.isPending || primaries.length === 0} />
    </Dialog>
  );
}
