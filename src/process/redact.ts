// Secrets the caller knows about (API keys it put in the agent's environment) are masked in
// everything Viable keeps or shows: transcripts, emitted lines, and from there events and logs.

export const REDACTED = "***";

export type Redactor = (text: string) => string;

export function redactor(secrets: readonly string[] = []): Redactor {
  // Longest first, so a secret that contains a shorter one is masked whole.
  const ordered = [...new Set(secrets)].filter((s) => s !== "").sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  return (text) => ordered.reduce((masked, secret) => masked.split(secret).join(REDACTED), text);
}
