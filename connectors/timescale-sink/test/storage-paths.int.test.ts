import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { createTemporaryDatabase, readMigrations, type TemporaryDatabase } from '@zenthos/db';
import { buildTableBatches, columnArrays, copyStatements, insertStatement, stagingTable, tableSpecs } from '../src/domain/rows';
import { createPostgresWriter } from '../src/adapters/postgres-writer';
import { backfillStatement, createRollupRefresher } from '../src/adapters/rollup-refresher';
import { stack, telemetryWithDuplicates } from './support';

// The same migrations and the same rows on both storage paths: TimescaleDB (hypertables,
// policies, continuous aggregates over telemetry_raw; here PGlite, an in-process PostgreSQL build
// that ships the extension, in a child process) and plain PostgreSQL (daily partitions, rollup
// tables materialised in the background below a watermark; the shared server). The rollup views
// must give the same buckets, before and after the rollups are refreshed, and after late rows.

type Step = { exec: string } | { query: string; params?: unknown[] };
type Rows = Record<string, unknown>[];

async function onTimescale(steps: Step[]): Promise<(Rows | null)[]> {
  const child = execFile(process.execPath, [join(__dirname, 'fixtures', 'pglite-timescale.mjs')], { maxBuffer: 64 * 1024 * 1024 });
  const output = new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`pglite exited ${code}: ${err}`))));
  });
  child.stdin?.end(JSON.stringify({ steps }));
  return JSON.parse(await output) as (Rows | null)[];
}

const bucketsQuery = (view: string): string =>
  `SELECT bucket, device_id, sensor, count::int AS count, round(avg::numeric, 6)::float8 AS avg, min, max FROM ${view} ORDER BY bucket, device_id, sensor`;

const normalise = (rows: Rows): Rows => rows.map((r) => ({ ...r, bucket: new Date(r.bucket as string).toISOString() }));

describe('storage paths: TimescaleDB and plain PostgreSQL behind the same views', () => {
  let plain: TemporaryDatabase;
  let results: (Rows | null)[];
  const at: Record<string, number> = {};
  const startS = Math.floor(Date.now() / 1000 / 3_600) * 3_600 - 2 * 3_600;
  const values = telemetryWithDuplicates({ total: 3_300, unique: 3_000, devices: 4, startS, minutes: 150 });
  const [batch] = buildTableBatches(values.map((value) => ({ kind: 'telemetry' as const, value })));
  // Late readings (an hour and a half old, below every watermark once refreshed) and repeats of
  // stored ones, as a device back online and a redelivery bring them.
  const late = telemetryWithDuplicates({ total: 400, unique: 400, devices: 4, startS: startS + 1_800, minutes: 20 });
  const [lateBatch] = buildTableBatches([...late, ...values.slice(0, 200)].map((value) => ({ kind: 'telemetry' as const, value })));
  const plainBuckets: Record<string, Rows> = {};
  let plainCount = 0;

  beforeAll(async () => {
    plain = await createTemporaryDatabase(stack.DATABASE_URL);
    const steps: Step[] = [];
    const query = (name: string, sql: string, params?: unknown[]): void => {
      at[name] = steps.length;
      steps.push(params ? { query: sql, params } : { query: sql });
    };
    // As the migrator does: one transaction per file, in order; the time-series files (0100–0199)
    // stand alone, so other areas' migrations are left to their own tests.
    for (const m of readMigrations().filter((f) => f.version >= 100 && f.version < 200)) steps.push({ exec: `BEGIN;\n${m.sql}\n;COMMIT;` });
    query('enabled', 'SELECT zenthos_timescale_enabled() AS on');
    query('hypertables', 'SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables ORDER BY 1');
    query('caggs', 'SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates ORDER BY 1');
    // The sink applies its retention and compression settings at start-up through this function.
    query('configure1', `SELECT zenthos_configure_timeseries('telemetry_raw', INTERVAL '30 days', INTERVAL '2 days')`);
    query('configure2', `SELECT zenthos_configure_timeseries('telemetry_raw', INTERVAL '45 days', INTERVAL '3 days')`);
    query(
      'jobs',
      `SELECT proc_name, hypertable_name, config FROM timescaledb_information.jobs WHERE hypertable_name = 'telemetry_raw' OR proc_name = 'policy_refresh_continuous_aggregate' ORDER BY 2, 1`,
    );
    query('partitions', `SELECT zenthos_ensure_partitions('telemetry_raw', now(), 3) AS n`);
    query('backfills', 'SELECT rollup, end_offset::text FROM telemetry_rollup_backfills ORDER BY rollup');
    // The sink's staging + merge statements. PGlite has no COPY FROM STDIN, so the staging table
    // is filled through unnest.
    const sql = copyStatements(tableSpecs.telemetry);
    const write = (name: string, rows: typeof batch): void => {
      steps.push({ exec: `BEGIN; ${sql.createStaging};` });
      query(name, insertStatement({ table: stagingTable('telemetry_raw'), columns: tableSpecs.telemetry.columns }), columnArrays(rows!));
      steps.push({ exec: `${sql.merge}; COMMIT;` });
    };
    // Twice: the second round is all duplicates.
    write('stage0', batch);
    write('stage1', batch);
    query('count', 'SELECT count(*)::int AS n FROM telemetry_raw');
    query('realtime_1m', bucketsQuery('telemetry_1m'));
    query('realtime_1h', bucketsQuery('telemetry_1h'));
    // One statement per step: a refresh cannot run inside a (multi-statement) transaction block.
    const refresh = (): void => {
      steps.push({ exec: `CALL refresh_continuous_aggregate('telemetry_sensor_agg_1m', NULL, NULL)` });
      steps.push({ exec: `CALL refresh_continuous_aggregate('telemetry_sensor_agg_1h', NULL, NULL)` });
    };
    // First as the sink's one-time backfill after migration 0130 does it, one statement with parameters.
    query('backfill_1m', backfillStatement, ['telemetry_sensor_agg_1m', '1 minute']);
    query('backfill_1h', backfillStatement, ['telemetry_sensor_agg_1h', '1 hour']);
    query('materialised_1m', bucketsQuery('telemetry_1m'));
    query('materialised_1h', bucketsQuery('telemetry_1h'));
    write('stageLate', lateBatch);
    refresh();
    query('count_late', 'SELECT count(*)::int AS n FROM telemetry_raw');
    query('late_1m', bucketsQuery('telemetry_1m'));
    query('late_1h', bucketsQuery('telemetry_1h'));
    results = await onTimescale(steps);

    // Plain PostgreSQL: the sink's writer itself (COPY into staging, merge) and the sink's refresher.
    const writer = createPostgresWriter(plain.pool);
    const refresher = createRollupRefresher(plain.pool);
    const snapshot = async (stage: string): Promise<void> => {
      for (const unit of ['1m', '1h'])
        plainBuckets[`${stage}_${unit}`] = normalise((await plain.pool.query(bucketsQuery(`telemetry_${unit}`))).rows);
    };
    await writer.write([batch!]);
    await writer.write([batch!]);
    plainCount = (await plain.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_raw')).rows[0]?.n ?? 0;
    await snapshot('realtime');
    await refresher.refresh();
    await snapshot('materialised');
    // In slices small enough for the writer's single-statement path (unnest instead of COPY).
    for (let i = 0; i < lateBatch!.rows.length; i += 50) await writer.write([{ ...lateBatch!, rows: lateBatch!.rows.slice(i, i + 50) }]);
    await snapshot('lateBeforeRefresh');
    await refresher.refresh();
    await snapshot('late');
  }, 180_000);

  afterAll(async () => {
    await plain?.drop();
  });

  const rows = (name: string): Rows => results[at[name] as number] as Rows;

  it('creates hypertables, compression and retention policies and real-time continuous aggregates with Timescale', () => {
    expect(rows('enabled')).toEqual([{ on: true }]);
    expect(rows('hypertables')).toEqual(
      ['device_logs', 'device_status', 'inference_results', 'telemetry_raw'].map((hypertable_name) => ({
        hypertable_name,
        compression_enabled: true,
      })),
    );
    expect(rows('caggs')).toEqual([
      { view_name: 'telemetry_sensor_agg_1h', materialized_only: false },
      { view_name: 'telemetry_sensor_agg_1m', materialized_only: false },
    ]);
    const jobs = rows('jobs') as { proc_name: string; hypertable_name: string; config: Record<string, string> }[];
    // Continuous aggregates report their materialisation hypertable, not the view: find them by proc.
    const refreshes = jobs.filter((j) => j.proc_name === 'policy_refresh_continuous_aggregate');
    const others = jobs.filter((j) => j.proc_name !== 'policy_refresh_continuous_aggregate');
    expect(refreshes).toHaveLength(2);
    expect(others.map((j) => [j.hypertable_name, j.proc_name])).toEqual([
      ['telemetry_raw', 'policy_compression'],
      ['telemetry_raw', 'policy_retention'],
    ]);
    // Reconfiguring replaces the policies rather than stacking them.
    const retention = (table: string): string | undefined =>
      jobs.find((j) => j.proc_name === 'policy_retention' && j.hypertable_name === table)?.config.drop_after;
    expect(retention('telemetry_raw')).toBe('45 days');
    // Partition maintenance is Timescale's own on this path.
    expect(rows('partitions')).toEqual([{ n: 0 }]);
    // The one-time refresh of the aggregates over the history stored before migration 0130.
    expect(rows('backfills')).toEqual([
      { rollup: 'telemetry_sensor_agg_1h', end_offset: '01:00:00' },
      { rollup: 'telemetry_sensor_agg_1m', end_offset: '00:01:00' },
    ]);
  });

  it('gives the same 1 minute and 1 hour buckets on both paths, duplicates ignored, before and after a refresh', async () => {
    expect(rows('count')).toEqual([{ n: 3_000 }]);
    expect(plainCount).toBe(3_000);
    for (const unit of ['1m', '1h']) {
      const live = plainBuckets[`realtime_${unit}`]!;
      expect(live.length).toBeGreaterThan(0);
      // Real-time aggregation before any refresh, and the materialised buckets after one.
      expect(normalise(rows(`realtime_${unit}`))).toEqual(live);
      expect(normalise(rows(`materialised_${unit}`))).toEqual(live);
      expect(plainBuckets[`materialised_${unit}`]).toEqual(live);
    }
  });

  it('materialises the plain-path rollups in the background and stays exact with late rows before the next refresh', async () => {
    // The refresh really materialised buckets (below the watermark) and the views read them.
    const materialised = await plain.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_sensor_agg_1m');
    expect(materialised.rows[0]?.n).toBeGreaterThan(0);
    const watermark = await plain.pool.query<{ w: Date }>(
      `SELECT watermark AS w FROM telemetry_rollup_watermarks WHERE rollup = 'telemetry_sensor_agg_1m'`,
    );
    expect(watermark.rows[0]!.w.getTime()).toBeGreaterThan((startS + 1_800 + 20 * 60) * 1000);

    // 400 new late rows, 200 repeats: counted once, on both paths.
    expect(rows('count_late')).toEqual([{ n: 3_400 }]);
    const plainLate = await plain.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_raw');
    expect(plainLate.rows[0]?.n).toBe(3_400);
    const expected = async (unit: 'minute' | 'hour'): Promise<Rows> =>
      normalise(
        (
          await plain.pool.query(`
            SELECT date_trunc('${unit}', t.time, 'UTC') AS bucket, t.device_id, s.key AS sensor, count(*)::int AS count,
                   round((sum(s.value::float8) / count(*))::numeric, 6)::float8 AS avg, min(s.value::float8) AS min, max(s.value::float8) AS max
            FROM telemetry_raw t CROSS JOIN LATERAL jsonb_each(t.payload -> 'sensors') AS s
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`)
        ).rows,
      );
    for (const [unit, trunc] of [
      ['1m', 'minute'],
      ['1h', 'hour'],
    ] as const) {
      const want = await expected(trunc);
      expect(want).not.toEqual(plainBuckets[`materialised_${unit}`]);
      // Exact before the refresh (the changed buckets are aggregated live) and after it.
      expect(plainBuckets[`lateBeforeRefresh_${unit}`]).toEqual(want);
      expect(plainBuckets[`late_${unit}`]).toEqual(want);
      expect(normalise(rows(`late_${unit}`))).toEqual(want);
    }
    // The refresh claimed every change and nothing is left to aggregate live below the watermark.
    const pending = await plain.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_rollup_invalidations');
    expect(pending.rows[0]?.n).toBe(0);
  });

  it('lets one refresher run at a time', async () => {
    const holder = await plain.pool.connect();
    try {
      // What a second sink process holds while it refreshes.
      await holder.query('SELECT pg_advisory_lock($1)', [0x7a656e30]);
      expect(await createRollupRefresher(plain.pool).refresh()).toEqual({ kind: 'busy' });
    } finally {
      await holder.query('SELECT pg_advisory_unlock($1)', [0x7a656e30]);
      holder.release();
    }
    expect(await createRollupRefresher(plain.pool).refresh()).toMatchObject({ kind: 'refreshed' });
  });

  it('rolls up every sensor of the map, not only temperature and humidity', async () => {
    // Expected 1 hour buckets of co2 (a sensor without a column of its own), computed here.
    const unique = values.slice(0, 3_000);
    const expected = new Map<string, number[]>();
    for (const v of unique) {
      const co2 = v.sensors.co2;
      if (co2 === undefined) continue;
      const key = `${new Date(Math.floor(v.timestamp / 3_600) * 3_600_000).toISOString()} ${v.device_id}`;
      expected.set(key, [...(expected.get(key) ?? []), co2]);
    }
    expect(expected.size).toBeGreaterThan(0);
    const want = [...expected.entries()]
      .map(([key, xs]) => {
        const [bucket, device_id] = key.split(' ');
        const avg = Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1e6) / 1e6;
        return { bucket, device_id, sensor: 'co2', count: xs.length, avg, min: Math.min(...xs), max: Math.max(...xs) };
      })
      .sort((a, b) => `${a.bucket}${a.device_id}`.localeCompare(`${b.bucket}${b.device_id}`));
    expect(plainBuckets.materialised_1h!.filter((r) => r.sensor === 'co2')).toEqual(want);
    expect(normalise(rows('materialised_1h')).filter((r) => r.sensor === 'co2')).toEqual(want);
    // The 1 minute buckets add up to the same readings.
    const perMinute = plainBuckets.materialised_1m!.filter((r) => r.sensor === 'co2');
    expect(perMinute.reduce((n, r) => n + (r.count as number), 0)).toBe(want.reduce((n, r) => n + r.count, 0));
  });
});
