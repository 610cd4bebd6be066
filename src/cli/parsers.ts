import { InvalidArgumentError } from "commander";

/** A commander argument parser for a positive integer option, named in its refusal. */
export const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
