// Secrets the caller knows about (API keys it put in the agent's environment) are masked in
// everything Viable keeps or shows: transcripts, emitted lines and chunks, and from there events and
// logs.

export const REDACTED = "***";

export type Redactor = (text: string) => string;

/** Names of variables whose values are treated as secrets. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL/i;
/** Shorter values would mask ordinary words ("true", a port number) all over the output. */
const MIN_SECRET_LENGTH = 6;

/** The values of an environment's secret-looking variables: what to pass as `redact`. */
export function secretValues(env: Readonly<Record<string, string | undefined>>): string[] {
  const secrets: string[] = [];
  for (const name in env) {
    const value = env[name];
    if (value !== undefined && value.length >= MIN_SECRET_LENGTH && SECRET_NAME.test(name)) secrets.push(value);
  }
  return secrets;
}

export function redactor(secrets: readonly string[] = []): Redactor {
  const ordered = orderedSecrets(secrets);
  if (ordered.length === 0) return (text) => text;
  return (text) => ordered.reduce((masked, secret) => masked.split(secret).join(REDACTED), text);
}

/**
 * Redacts a stream of text that arrives in arbitrary chunks, where a secret may be split between two
 * of them: an end of a chunk that could be the beginning of a secret (at most the longest secret − 1
 * characters) is held back until the next chunk or the end, so that every occurrence is masked whole.
 * Anything else is released at once, so output only waits when it looks like a secret.
 */
export class StreamRedactor {
  readonly #secrets: string[];
  readonly #redact: Redactor;
  #pending = "";

  constructor(secrets: readonly string[] = []) {
    this.#secrets = orderedSecrets(secrets);
    this.#redact = redactor(this.#secrets);
  }

  /** The masked text that can be released now. */
  push(chunk: string): string {
    if (this.#secrets.length === 0) return chunk;
    const text = this.#pending + chunk;
    let cut = text.length;
    for (const secret of this.#secrets) {
      // The longest end of the text that begins this secret.
      for (let k = Math.min(secret.length - 1, text.length); k > 0 && text.length - k < cut; k--) {
        const at = text.length - k;
        if (text.charCodeAt(at) === secret.charCodeAt(0) && text.startsWith(secret.slice(0, k), at)) {
          cut = at;
          break;
        }
      }
    }
    // A whole secret that starts before the cut and ends after it (they can overlap): move the cut
    // past it, so that it is released, and masked, whole.
    for (let moved = cut < text.length; moved;) {
      moved = false;
      for (const secret of this.#secrets) {
        for (let at = text.indexOf(secret, Math.max(0, cut - secret.length + 1)); at !== -1 && at < cut; at = text.indexOf(secret, at + 1)) {
          if (at + secret.length > cut) {
            cut = at + secret.length;
            moved = true;
          }
        }
      }
    }
    this.#pending = text.slice(cut);
    return this.#redact(text.slice(0, cut));
  }

  /** What was held back, masked: the stream has ended. */
  end(): string {
    const rest = this.#pending;
    this.#pending = "";
    return this.#redact(rest);
  }
}

function orderedSecrets(secrets: readonly string[]): string[] {
  // Longest first, so a secret that contains a shorter one is masked whole.
  return [...new Set(secrets)].filter((s) => s !== "").sort((a, b) => b.length - a.length);
}
