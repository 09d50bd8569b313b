import { fork } from 'node:child_process';
import { join } from 'node:path';

/** What the observer saw of one enriched record. */
export interface EnrichedSighting {
  readonly messageId: string;
  /** `ingest_ts`: the bridge's receive time. */
  readonly bridgeMs: number;
  /** `enriched_ts`: the processor's enrich time. */
  readonly processedMs: number;
  /** When the observer received the record (its transaction had committed). */
  readonly visibleMs: number;
}

/** Where and what the observer reads. */
export interface ObserverSettings {
  readonly brokers: readonly string[];
  readonly topic: string;
  /** Its own consumer group (deleted with the run's prefix). */
  readonly group: string;
  /** Schema registry for decoding after the run. */
  readonly registryUrl: string;
}

/** A read_committed reader of the enriched topic that notes when each record became readable. */
export interface VisibilityObserver {
  /** Its process, so that the bench can sample the observer's CPU like a service's. */
  readonly pid: number;
  /** Stops reading and decodes what was seen (the schema registry must still be up). */
  stop(): Promise<Map<string, EnrichedSighting>>;
  /** Ends the observer without results (the run failed). */
  abandon(): Promise<void>;
}

/**
 * Starts a child process that reads `topic` from its beginning as a consumer group of its own,
 * with isolation read_committed like the sink, so a record arrives once the processor's
 * transaction that produced it has committed (fetch.min.bytes 16 KiB, fetch.wait.max.ms 50, polls of at most 100
 * records that return at partition EOF). Records are kept as bytes with their arrival time and
 * decoded only after the run. A process of its own, because the load generator's event loop
 * would delay the arrival times by hundreds of milliseconds under load. Resolves once the
 * observer reads (it has received the warm-up's records), so start it after the warm-up.
 */
export async function startVisibilityObserver(settings: ObserverSettings): Promise<VisibilityObserver> {
  const child = fork(join(__dirname, 'visibility-child.js'), [JSON.stringify(settings)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the visibility observer exited with code ${code} before it was ready`)));
  });
  return {
    pid: child.pid as number,
    async stop() {
      const result = new Promise<EnrichedSighting[]>((resolve, reject) => {
        child.once('message', (m: { sightings?: EnrichedSighting[] }) => resolve(m.sightings ?? []));
        child.once('exit', () => reject(new Error('the visibility observer exited without results')));
      });
      child.send('stop');
      const sightings = await result;
      await exited;
      return new Map(sightings.map((s) => [s.messageId, s]));
    },
    async abandon() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
