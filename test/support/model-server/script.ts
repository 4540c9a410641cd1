// What a test tells the scripted model server to do. Steps are consumed in order, one per model
// request the CLI makes; requests a CLI makes on the side (titles, token counts, model lists) are
// answered without consuming a step, so a script reads like the conversation the test expects.

/** A tool call in a form that does not depend on the CLI; the server maps it to the CLI's own tool. */
export type NeutralToolCall =
  /** Write a whole file. A relative path is resolved against the server's `cwd`. */
  | { tool: "write_file"; args: { path: string; content: string } }
  /** Run a shell command in the workspace. */
  | { tool: "shell"; args: { command: string } }
  /** A tool of the CLI's own, passed through as is (name and input must match the CLI's schema). */
  | { tool: "raw"; name: string; input: Record<string, unknown> };

export interface ReplyUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

export interface Reply {
  /** Assistant text, sent before any tool calls. */
  text?: string;
  toolCalls?: NeutralToolCall[];
  usage?: Partial<ReplyUsage>;
  /** Pause this long between SSE frames (a slow stream). */
  chunkDelayMs?: number;
  /** Stop after the first frames until the test releases the hold (see `createStreamHold`). */
  hold?: StreamHold;
}

export interface HttpErrorReply {
  status: number;
  /** Defaults to the provider's own error shape with `message`. */
  body?: unknown;
  message?: string;
  /** Or a function called when the error is sent: headers that name a time relative to that moment. */
  headers?: Record<string, string> | (() => Record<string, string>);
}

export type Step =
  | { reply: Reply; error?: never; times?: never }
  /** An HTTP error; `times` > 1 answers that many consecutive requests with it (CLIs retry). */
  | { error: HttpErrorReply; times?: number; reply?: never };

/**
 * Lets a test act while a stream is open, without sleeping: `reached` resolves once the server
 * has sent the first frames and paused; `release()` lets it finish.
 */
export interface StreamHold {
  readonly reached: Promise<void>;
  release(): void;
  /** For the server: marks the pause and waits for `release()`. */
  wait(): Promise<void>;
}

export function createStreamHold(): StreamHold {
  let markReached = (): void => {};
  let release = (): void => {};
  const reached = new Promise<void>((resolve) => (markReached = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    reached,
    release: () => release(),
    wait: () => {
      markReached();
      return released;
    },
  };
}

export function text(t: string): Step {
  return { reply: { text: t } };
}

export function writeFile(path: string, content: string, say?: string): Step {
  return { reply: { ...(say === undefined ? {} : { text: say }), toolCalls: [{ tool: "write_file", args: { path, content } }] } };
}

export function shell(command: string, say?: string): Step {
  return { reply: { ...(say === undefined ? {} : { text: say }), toolCalls: [{ tool: "shell", args: { command } }] } };
}

export function httpError(status: number, options: Omit<HttpErrorReply, "status"> & { times?: number } = {}): Step {
  const { times, ...rest } = options;
  return { error: { status, ...rest }, ...(times === undefined ? {} : { times }) };
}
