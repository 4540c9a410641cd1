// The CLI's contract with scripts.
export const EXIT = {
  ok: 0,
  /** The task (or plan) ran and failed. */
  failed: 1,
  /** Bad usage or input: nothing was attempted. */
  usage: 2,
  /** Interrupted by Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;
