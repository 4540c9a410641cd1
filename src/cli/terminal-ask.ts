// Questions to the person at this terminal: one prompt at a time (two agents asking at once would
// fight over the same input), drawn with the live status line paused; Ctrl-C at a prompt stops the
// command like Ctrl-C anywhere. The prompt library is loaded
// only when a question comes: it is a large import for every run that asks nothing.

import type { LiveLine } from "./live-line.ts";

export type TerminalAsk = (question: string, signal: AbortSignal) => Promise<boolean>;

export function terminalAsk(live: LiveLine | null): TerminalAsk {
  let queue: Promise<unknown> = Promise.resolve();
  return (question, signal) => {
    const next = queue.then(async () => {
      signal.throwIfAborted();
      const confirm = (await import("@inquirer/confirm")).default;
      const prompt = () => confirm({ message: question, default: false }, { signal });
      try {
        return await (live ? live.pause(prompt) : prompt());
      } catch (e) {
        // Ctrl-C at the prompt: the prompt library takes the key, so the process never sees the
        // signal. It is the person stopping the run, as Ctrl-C anywhere else is.
        if (e instanceof Error && e.name === "ExitPromptError") process.kill(process.pid, "SIGINT");
        throw e;
      }
    });
    queue = next.catch(() => undefined);
    return next;
  };
}
