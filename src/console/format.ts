import { SecretState } from "../../gen/secrets/v1/service_pb.js";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" });

/** The service's timestamps are int64 milliseconds (bigint in protobuf-es); 0 means never. */
export function formatTime(ms: bigint | number): string {
  const n = Number(ms);
  return n === 0 ? "—" : dateTime.format(n);
}

export function stateLabel(state: SecretState): string {
  return state === SecretState.REVOKED ? "Revoked" : state === SecretState.ACTIVE ? "Active" : "Unknown";
}

export function scopeLabel(isShared: boolean): string {
  return isShared ? "Shared" : "Private";
}

export function resourceLabel(b: { resourceType: string; resourceId: string }): string {
  return `${b.resourceType}/${b.resourceId}`;
}

/** Masked values by field; a single value (filed under "value") shows as its mask alone. */
export function masksLabel(masks: Record<string, string>): string {
  return Object.entries(masks)
    .map(([field, mask]) => (field === "value" ? mask : `${field}: ${mask}`))
    .join(", ");
}
