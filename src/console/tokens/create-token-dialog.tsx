import { type FormEvent, useId } from "react";
import { TokenService } from "../../../gen/secrets/v1/tokens_pb.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { Dialog, DialogButtons } from "../ui/dialog.js";
import { ErrorNotice } from "../ui/states.js";

const DAY_SECONDS = 86_400;

/** Issues a token (admins only). Its text goes straight to onCreated, never into the success notification. */
export function CreateTokenDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (token: string, name: string) => void }) {
  const id = useId();
  const create = useConsoleMutation(TokenService.method.createApiToken, {
    doing: "Creating the token",
    success: (r) => `Created a ${r.apiToken?.roles.join(", ")} token for ${r.apiToken?.name}.`,
    onSuccess: (r) => onCreated(r.token, r.apiToken?.name ?? ""),
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    create.mutate({
      name: String(data.get("name")).trim(),
      roles: [String(data.get("role"))],
      ttlSeconds: BigInt(Math.round(Number(data.get("days") || 0) * DAY_SECONDS)),
      description: String(data.get("description")).trim(),
      samePrincipal: data.get("same-principal") === "on",
    });
  };
  return (
    <Dialog title="Create token" onClose={onClose}>
      <form onSubmit={submit}>
        <label htmlFor={`${id}-name`}>Principal</label>
        <input id={`${id}-name`} name="name" required pattern="[A-Za-z0-9._@:\-]+" autoComplete="off" aria-describedby={`${id}-name-help`} />
        <p id={`${id}-name-help`} className="help">
          The name the token authenticates as: letters, digits and <code>. _ @ : -</code>.
        </p>
        <label htmlFor={`${id}-role`}>Role</label>
        <select id={`${id}-role`} name="role" defaultValue="user">
          <option value="user">user: manages its own secrets and binds them</option>
          <option value="service">service: reads and resolves, changes nothing</option>
          <option value="admin">admin: everything</option>
        </select>
        <label htmlFor={`${id}-days`}>Expires after (days)</label>
        <input id={`${id}-days`} name="days" type="number" min={0} step="any" defaultValue={90} aria-describedby={`${id}-days-help`} />
        <p id={`${id}-days-help`} className="help">
          0: never expires.
        </p>
        <label htmlFor={`${id}-description`}>Description</label>
        <input id={`${id}-description`} name="description" autoComplete="off" />
        <label className="check">
          <input type="checkbox" name="same-principal" aria-describedby={`${id}-same-help`} /> Acts as an existing principal
        </label>
        <p id={`${id}-same-help`} className="help">
          Confirms that this token is for a principal that already has a token of another kind: it sees and uses that principal&apos;s private secrets.
        </p>
        {create.error && <ErrorNotice error={create.error} doing="Creating the token" />}
        <DialogButtons onCancel={onClose} submit="Create token" disabled={create.isPending} />
      </form>
    </Dialog>
  );
}
