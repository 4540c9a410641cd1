// What an interface must never show: the values of secret-looking variables in its own environment
// (API keys the agents get) and secrets of its own (an access token), masked in every answer.

import { redactor, secretValues, type Redactor } from "../process/redact.ts";

export function secretMasker(extra: readonly string[] = []): Redactor {
  return redactor([...secretValues(process.env), ...extra]);
}
