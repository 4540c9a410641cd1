// Questions to the person at this terminal: one prompt at a time (two agents asking at once would
// fight over the same input), drawn with the live status line paused. The prompt library is loaded
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
      return live ? live.pause(prompt) : prompt();
    });
    queue = next.catch(() => undefined);
    return next;
  };
}
