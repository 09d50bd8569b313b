// The bench's arrival clock against the stack's PostgreSQL (which keeps commit timestamps): a
// row arrives when the transaction that inserted it commits, not when its INSERT ran; without
// commit timestamps a trigger stamps each inserted row.
import { randomUUID } from 'node:crypto';
import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import { arrivalCount, arrivals, installArrivalClock } from '../src/adapters/arrivals';

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://zenthos:zenthos@127.0.0.1:5432/zenthos';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('arrival clock', () => {
  let db: TemporaryDatabase;
  beforeEach(async () => {
    db = await createTemporaryDatabase(databaseUrl);
  });
  afterEach(async () => {
    await db.drop();
  });

  /** Inserts one row in a transaction held open for `holdMs`; the times its INSERT ran and its COMMIT returned. */
  const insertHeld = async (messageId: string, holdMs: number): Promise<{ insertedMs: number; committedMs: number }> => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO telemetry_raw (time, message_id, device_id) VALUES (now(), $1, 'dev-arrival')`, [messageId]);
      const insertedMs = Date.now();
      await sleep(holdMs);
      await client.query('COMMIT');
      return { insertedMs, committedMs: Date.now() };
    } finally {
      client.release();
    }
  };

  it('takes the commit time of the inserting transaction where commit timestamps are kept', async () => {
    expect(await installArrivalClock(db.pool)).toBe('commit');
    const ids = [randomUUID(), randomUUID()];
    const held = await insertHeld(ids[0] as string, 300);
    const quick = await insertHeld(ids[1] as string, 0);
    const seen = await arrivals(db.pool, 'commit');
    expect(seen.size).toBe(2);
    // Both clocks are this host's; 5 ms of slack for rounding.
    expect(seen.get(ids[0] as string)).toBeGreaterThanOrEqual(held.insertedMs + 295);
    expect(seen.get(ids[0] as string)).toBeLessThanOrEqual(held.committedMs + 5);
    expect(seen.get(ids[1] as string)).toBeGreaterThanOrEqual(held.committedMs - 5);
    expect(seen.get(ids[1] as string)).toBeLessThanOrEqual(quick.committedMs + 5);
    expect(await arrivalCount(db.pool, 'commit')).toBe(2);
  });

  it('stamps each inserted row by trigger without commit timestamps', async () => {
    expect(await installArrivalClock(db.pool, { commitTimestamps: false })).toBe('statement');
    const id = randomUUID();
    const held = await insertHeld(id, 300);
    const seen = await arrivals(db.pool, 'statement');
    expect(seen.size).toBe(1);
    // The INSERT's time: before the transaction was held open.
    expect(seen.get(id)).toBeLessThanOrEqual(held.insertedMs + 5);
    expect(await arrivalCount(db.pool, 'statement')).toBe(1);
  });
});
