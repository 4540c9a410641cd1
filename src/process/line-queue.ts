// The lines a supervised process prints, handed to one consumer as an async iterable. A consumer
// slower than the process would otherwise let the queue grow without bound, so past a high-water
// mark the queue asks its producer to pause (the child then blocks on a full pipe, exactly as with
// an unread pipe) and to resume once the consumer has caught up.

export interface LineQueueOptions {
  /** Queued text, in UTF-16 code units, beyond which the producer is asked to pause. */
  highWaterMark: number;
  onPause: () => void;
  onResume: () => void;
}

export class LineQueue<T extends { text: string }> implements AsyncIterable<T> {
  readonly #options: LineQueueOptions;
  #items: T[] = [];
  #head = 0;
  #queuedSize = 0;
  #paused = false;
  #ended = false;
  /** The consumer stopped iterating: nothing more is kept. */
  #abandoned = false;
  #iterated = false;
  #wake: (() => void) | undefined;

  constructor(options: LineQueueOptions) {
    this.#options = options;
  }

  push(item: T): void {
    if (this.#ended || this.#abandoned) return;
    this.#items.push(item);
    this.#queuedSize += item.text.length;
    this.#wakeConsumer();
    if (!this.#paused && this.#queuedSize > this.#options.highWaterMark) {
      this.#paused = true;
      this.#options.onPause();
    }
  }

  end(): void {
    this.#ended = true;
    this.#wakeConsumer();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#iterated) throw new Error("the output lines of a process can be iterated only once");
    this.#iterated = true;
    return {
      next: async () => {
        for (;;) {
          const item = this.#shift();
          if (item !== undefined) return { value: item, done: false };
          if (this.#ended || this.#abandoned) return { value: undefined, done: true };
          await new Promise<void>((resolve) => (this.#wake = resolve));
        }
      },
      return: async () => {
        this.#abandoned = true;
        this.#items = [];
        this.#head = 0;
        this.#queuedSize = 0;
        this.#resumeIfPaused();
        return { value: undefined, done: true };
      },
    };
  }

  #shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#head++;
    // Compact now and then rather than shift() each time, which is O(n) per line.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (item === undefined) return undefined;
    this.#queuedSize -= item.text.length;
    if (this.#queuedSize <= this.#options.highWaterMark / 2) this.#resumeIfPaused();
    return item;
  }

  #resumeIfPaused(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#options.onResume();
  }

  #wakeConsumer(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
