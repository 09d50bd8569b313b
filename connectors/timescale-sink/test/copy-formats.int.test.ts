import { createTemporaryDatabase, type PoolClient, type TemporaryDatabase } from '@zenthos/db';
import { from as copyFrom } from 'pg-copy-streams';
import { createPostgresWriter } from '../src/adapters/postgres-writer';
import { copyBinaryChunks } from '../src/domain/copy-binary';
import { copyTextLine, isoFromMillis, tableSpecs, type Row, type TableSpec } from '../src/domain/rows';
import { stack } from './support';

const uuid = (i: number): string => `0f0e0d0c-0b0a-4908-8706-${String(i).padStart(12, '0')}`;
const t = (ms: number): string => isoFromMillis(ms);

// Rows of every table with the values that differ between formats: times before and after 2000
// and with milliseconds, upper-case uuids, non-ASCII and COPY-special characters (tab, newline,
// backslash) in text and JSON, negative zero, NaN and infinities, large integers, NULLs.
const rowsOf: { [K in keyof typeof tableSpecs]: Row[] } = {
  telemetry: [
    [
      t(1_764_522_781_123),
      uuid(1),
      'esp32-s3-001',
      'esp32-s3',
      '{"sensors":{"temperature":21.5},"note":"tab\\there"}',
      21.5,
      40,
      t(1_764_522_781_130),
    ],
    [t(946_684_799_999), uuid(2).toUpperCase(), 'dévice\t\\1', null, '{"s":"ünïcødé ☃","n":-0.0}', -0, Number.NaN, t(0)],
    [t(86_400_000), uuid(3), 'line\nbreak', 'm', '{}', Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null],
  ],
  status: [
    [
      t(1_764_522_781_000),
      uuid(4),
      'esp32-s3-001',
      'esp32-s3',
      'online',
      'v1.2.3',
      null,
      2 ** 40,
      -67,
      123_456,
      '{"state":"idle"}',
      t(1_764_522_781_002),
    ],
    [t(1_764_522_782_000), uuid(5), 'esp32-s3-002', null, 'offline', null, null, null, null, null, null, null],
  ],
  inference: [
    [
      t(1_764_522_781_500),
      uuid(6),
      'esp32-cam-001',
      'esp32-cam',
      'm-1',
      'cat',
      '{"scores":{"cat":0.9},"output":null}',
      0.9,
      12.25,
      t(1_764_522_781_510),
    ],
  ],
  logs: [
    [
      t(1_764_522_781_700),
      uuid(7),
      'esp32-s3-001',
      'esp32-s3',
      'warn',
      'multi\nline\\message',
      'ota',
      '{"k":"v"}',
      'v1',
      t(1_764_522_781_701),
    ],
  ],
};

async function copy(client: PoolClient, sql: string, data: readonly (string | Buffer)[]): Promise<void> {
  const stream = client.query(copyFrom(sql));
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.once('finish', resolve);
    for (const chunk of data) stream.write(chunk);
    stream.end();
  });
}

describe('COPY binary and text formats', () => {
  let db: TemporaryDatabase;

  beforeAll(async () => {
    db = await createTemporaryDatabase(stack.DATABASE_URL);
  }, 60_000);

  afterAll(async () => {
    await db?.drop();
  });

  it.each(Object.keys(rowsOf) as (keyof typeof tableSpecs)[])('stores the same %s rows either way', async (kind) => {
    const spec = tableSpecs[kind] as TableSpec;
    const rows = rowsOf[kind];
    const names = spec.columns.map((c) => c.name).join(', ');
    const client = await db.pool.connect();
    try {
      await client.query(`CREATE TABLE text_${kind} (LIKE ${spec.table}); CREATE TABLE binary_${kind} (LIKE ${spec.table})`);
      await copy(client, `COPY text_${kind} (${names}) FROM STDIN`, [rows.map(copyTextLine).join('')]);
      const chunks = copyBinaryChunks(spec.columns, rows);
      expect(chunks).toBeDefined();
      await copy(client, `COPY binary_${kind} (${names}) FROM STDIN WITH (FORMAT binary)`, chunks!);
      // Compared as text, where NaN equals NaN and -0 differs from 0.
      const differ = await client.query(
        `SELECT count(*)::int AS n FROM (
           (SELECT t::text FROM text_${kind} t EXCEPT ALL SELECT b::text FROM binary_${kind} b)
           UNION ALL
           (SELECT b::text FROM binary_${kind} b EXCEPT ALL SELECT t::text FROM text_${kind} t)) d`,
      );
      const { rows: counted } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM binary_${kind}`);
      expect(counted[0]?.n).toBe(rows.length);
      expect(differ.rows[0]?.n).toBe(0);
    } finally {
      client.release();
    }
  });

  it('writes through the writer in binary: a redelivered batch is stored once, a refused value fails the batch', async () => {
    const writer = createPostgresWriter(db.pool);
    const spec = tableSpecs.telemetry as TableSpec;
    const rows = rowsOf.telemetry.map((r, i) => [r[0], uuid(100 + i), ...r.slice(2)]);
    expect(copyBinaryChunks(spec.columns, rows)).toBeDefined();
    expect(await writer.write([{ spec, rows, duplicates: 0 }])).toEqual({ telemetry_raw: rows.length });
    // The same batch again, plus one new row: the COPY stops on the unique key, the staging path
    // (binary too) keeps only the new row.
    const fresh = [rows[0]![0], uuid(200), ...rows[0]!.slice(2)];
    expect(await writer.write([{ spec, rows: [...rows, fresh], duplicates: 0 }])).toEqual({ telemetry_raw: 1 });
    const { rows: stored } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM telemetry_raw WHERE message_id IN (${[...rows, fresh].map((r) => `'${String(r[1])}'`).join(', ')})`,
    );
    expect(stored[0]?.n).toBe(rows.length + 1);
    const refused = [rows[0]![0], uuid(300), 'nul\u0000device', ...rows[0]!.slice(3)];
    await expect(writer.write([{ spec, rows: [refused], duplicates: 0 }])).rejects.toMatchObject({
      code: 'ZEN_DB_WRITE_FAILED',
      retriable: false,
    });
  });

  it('refuses a NUL in text either way', async () => {
    const spec = tableSpecs.logs as TableSpec;
    const row: Row = [t(1_764_522_781_700), uuid(8), 'd', 'm', 'info', 'nul\u0000here', null, null, null, null];
    const names = spec.columns.map((c) => c.name).join(', ');
    const client = await db.pool.connect();
    try {
      await client.query(`CREATE TABLE nul_logs (LIKE ${spec.table})`);
      await expect(copy(client, `COPY nul_logs (${names}) FROM STDIN`, [copyTextLine(row)])).rejects.toMatchObject({ code: '22021' });
      await expect(
        copy(client, `COPY nul_logs (${names}) FROM STDIN WITH (FORMAT binary)`, copyBinaryChunks(spec.columns, [row])!),
      ).rejects.toMatchObject({ code: '22021' });
    } finally {
      client.release();
    }
  });
});
