// The job engine the coordinator and the workers share: pg-boss on the store's own Postgres
// database (its tables in a schema of its own). pg-boss gives what a home-made queue would have to
// re-invent: claims that two workers never both get, heartbeats and expiry for a worker that died or
// was cut off, retries, and fenced settlement — a worker whose claim was retried elsewhere can no
// longer complete the job. One queue per runtime.

import { PgBoss } from "pg-boss";
import { unreachable } from "../store/postgres/connection.ts";

/** How the coordinator's queues behave (config `loop.workers`). */
export interface QueueSettings {
  /** A worker's heartbeat: a job whose worker missed it this long is retried elsewhere (>= 10, pg-boss's floor). */
  heartbeatSeconds: number;
  /** Tries of one attempt on workers that died or were cut off, before the attempt counts as failed. */
  retryLimit: number;
  /** How long one try may run at all. */
  expireInSeconds: number;
}

export interface Boss {
  boss: PgBoss;
  /**
   * The queue exists: made with these settings when missing; `update` (the coordinator, whose
   * loop.workers rules) also sets them on an existing one. A worker only makes a missing queue, so a
   * worker started from an older clone's config does not change the run's settings.
   */
  ensureQueue(name: string, settings: QueueSettings, opts?: { update?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

/** How often a worker's row in pg-boss's instance registry is refreshed (it reads as gone after three missed). */
export const WORKER_BEAT_SECONDS = 5;

/** The name workers register under in pg-boss's instance registry. */
export const WORKER_INSTANCE = "viable worker";

export async function openBoss(url: string, opts: { name: string; supervise: boolean; superviseSeconds?: number; worker?: boolean }): Promise<Boss> {
  const boss = new PgBoss({
    connectionString: url, schema: "viable_jobs", application_name: opts.name, max: 4,
    // The coordinator watches for missed heartbeats and expiries; workers only work.
    supervise: opts.supervise, schedule: false,
    // Workers say in pg-boss's registry which queues they take jobs from, so the coordinator can
    // tell a person whose jobs wait on a queue no live worker takes.
    ...(opts.worker ? { registerInstance: true, instanceName: WORKER_INSTANCE, instanceHeartbeatSeconds: WORKER_BEAT_SECONDS } : { registerInstance: false }),
    ...(opts.supervise ? { superviseIntervalSeconds: opts.superviseSeconds ?? 5, monitorIntervalSeconds: opts.superviseSeconds ?? 5 } : {}),
  });
  // Lost connections are retried by pg-boss itself; what it reports meanwhile is not ours to crash on.
  boss.on("error", () => {});
  try {
    await boss.start();
  } catch (e) {
    throw unreachable(url, e);
  }
  const known = new Set<string>();
  return {
    boss,
    ensureQueue: async (name, s, o = {}) => {
      if (known.has(name)) return;
      // Jobs take the queue's settings when they are sent: a changed loop.workers applies to the next ones.
      const options = { retryLimit: s.retryLimit, retryDelay: 0, expireInSeconds: s.expireInSeconds, heartbeatSeconds: s.heartbeatSeconds };
      if (!(await boss.getQueue(name))) await boss.createQueue(name, options);
      else if (o.update) await boss.updateQueue(name, options);
      known.add(name);
    },
    stop: () => boss.stop({ graceful: false, close: true }),
  };
}
