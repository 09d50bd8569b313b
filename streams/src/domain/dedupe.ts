import type { CommonFields } from './kinds';
import type { Outcome, StreamRecord } from './record';

/**
 * Remembers message ids for a window. `claim` marks `messageId` as owned by `owner` (the source
 * position of the record, `topic/partition/offset`) unless already marked, and answers whether
 * the caller may forward the record.
 *
 * Why an owner: the mark is written before the Kafka transaction that carries the output and
 * the source offsets commits. If the process dies or the transaction aborts in between, the
 * same source record is read again; it finds its own mark and is forwarded, while any other
 * record with that id stays a duplicate. So a crash can neither lose nor double a message.
 */
export interface DedupeStore {
  claim(messageId: string, owner: string, windowMs: number): Promise<{ readonly firstSeen: boolean }>;
}

/** Settings of {@link createDedupe}. */
export interface DedupeSettings {
  /** How long a message id is remembered (default 24 h). */
  readonly windowMs: number;
}

/** Header the runner sets on every record: where it was read from, the owner of its dedupe mark. */
export const SOURCE_POSITION_HEADER = 'zenthos.source';

/** The dedupe mark owner of a record: its source position header, or the message id itself. */
export const ownerOf = (record: StreamRecord<CommonFields>): string => {
  const h = record.headers[SOURCE_POSITION_HEADER];
  return h === undefined ? record.value.message_id : h.toString();
};

/**
 * The dedupe processor: forwards the first record of each `message_id` within the window and
 * drops later ones (spec §11: duplicates are removed by message_id). Store failures are
 * retriable and thrown, so the runner retries instead of letting a duplicate through.
 */
export const createDedupe = (settings: DedupeSettings, ports: { store: DedupeStore }) => {
  const duplicate: Outcome<never> = Object.freeze({ kind: 'drop', reason: 'duplicate message_id' });
  // The store's promise, continued once: no async function (and its own promise) per record.
  return function handleDedupe<R extends CommonFields>(record: StreamRecord<R>): Promise<Outcome<R>> {
    return ports.store
      .claim(record.value.message_id, ownerOf(record), settings.windowMs)
      .then(({ firstSeen }): Outcome<R> => (firstSeen ? { kind: 'forward', record } : duplicate));
  };
};
