// Questions to the person at this terminal: one prompt at a time (two agents asking at once would
// fight over the same input), drawn with the live status line paused; Ctrl-C at a prompt stops the
// command like Ctrl-C anywhere. The prompt library is loaded only when a question comes: it is a
// large import for every run that asks nothing.

import type { ItemQuestionPrompt, YesNoPrompt } from "../domain/permissions.ts";
import type { LiveLine } from "./live-line.ts";

export interface Terminal {
  ask: YesNoPrompt;
  question: ItemQuestionPrompt;
}

export function terminal(live: LiveLine | null): Terminal {
  let queue: Promise<unknown> = Promise.resolve();
  /** Runs `prompt` when the prompts before it are done, with the live line paused. */
  const serially = <T>(prompt: () => Promise<T>, signal: AbortSignal): Promise<T> => {
    const next = queue.then(async () => {
      signal.throwIfAborted();
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
  return {
    ask: (question, signal) => serially(async () => {
      const confirm = (await import("@inquirer/confirm")).default;
      return confirm({ message: question, default: false }, { signal });
    }, signal),
    question: ({ item, question }, signal) => serially(async () => {
      const [{ default: select }, { default: input }] = await Promise.all([import("@inquirer/select"), import("@inquirer/input")]);
      const choice = await select<"answer" | "block" | "wait">({
        message: `${item} waits for you — the agent asked: ${question}`,
        choices: [
          { name: "Answer it here (the item runs again, its agent told your answer)", value: "answer" },
          { name: `Leave it waiting (take it over: viable attach ${item}; or answer in the dashboard)`, value: "wait" },
          { name: "Block it", value: "block" },
        ],
      }, { signal });
      if (choice !== "answer") return { kind: choice };
      const text = await input({ message: "Your answer", validate: (v) => v.trim() !== "" || "an answer, or Ctrl-C" }, { signal });
      return { kind: "answer", text: text.trim() };
    }, signal),
  };
}
