// Where the CLI writes. Kept behind one object so tests and the library API can capture it.

export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Whether a person is at a terminal (for prompts and live displays). */
  interactive: boolean;
}

export const processOutput: Output = {
  out: (text) => void process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => void process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
  interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
};

export function printJson(o: Output, value: unknown): void {
  o.out(JSON.stringify(value, null, 2));
}
