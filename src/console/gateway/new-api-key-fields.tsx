import type { MessageInitShape } from "@bufbuild/protobuf";
import { useId } from "react";
import type { CreateGatewaySecretRequestSchema } from "../../../gen/secrets/v1/gateway_pb.js";
import type { AuthMode, Provider } from "../../../gen/secrets/v1/providers_pb.js";
import { AuthModeFields, readAuthFields } from "../providers/auth-mode-fields.js";

interface Props {
  provider: Provider;
  mode: AuthMode;
  onModeChange: (mode: string) => void;
}

/** A new API key of a chosen provider: its name, scope and the auth mode's fields (the create dialog and the endpoint form's inline key). */
export function NewApiKeyFields({ provider, mode, onModeChange }: Props) {
  const id = useId();
  return (
    <>
      <label htmlFor={`${id}-name`}>Key name</label>
      <input id={`${id}-name`} name="key-name" required autoComplete="off" />
      <AuthModeFields provider={provider} mode={mode} onModeChange={onModeChange} secrets="required" />
      <label className="check">
        <input type="checkbox" name="key-shared" /> Shared: every signed-in principal can see and use it
      </label>
    </>
  );
}

export function readNewApiKey(form: HTMLFormElement, provider: Provider, mode: AuthMode): MessageInitShape<typeof CreateGatewaySecretRequestSchema> {
  const data = new FormData(form);
  const auth = readAuthFields(form, mode);
  return { secretName: String(data.get("key-name")).trim(), provider: provider.providerId, secretValue: auth.secretFields, authConfig: auth.authConfig, isShared: data.get("key-shared") === "on" };
}
