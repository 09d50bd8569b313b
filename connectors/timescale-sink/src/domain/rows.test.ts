import type { TelemetryEnriched } from '@zenthos/schemas';
import {
  buildTableBatches,
  columnArrays,
  copyStatements,
  copyTextLine,
  daysOf,
  insertStatement,
  isoFromMillis,
  isoFromSeconds,
  tableSpecs,
} from './rows';

const telemetry = (
  id: string,
  timestamp: number,
  sensors: Record<string, number> = { temperature: 21.5, humidity: 40 },
): TelemetryEnriched => ({
  message_id: id,
  device_id: 'esp32-s3-001',
  device_model: 'esp32-s3',
  timestamp,
  sensors,
  firmware_version: 'v0.1.0',
  model_version: null,
  ingest_ts: timestamp * 1000 + 5,
  owner: null,
  location: null,
  metadata: {},
  known_device: true,
  enriched_ts: timestamp * 1000 + 9,
});

describe('buildTableBatches', () => {
  it('keeps the first record of each (message_id, time) and counts the rest', () => {
    const batches = buildTableBatches([
      { kind: 'telemetry', value: telemetry('a', 1691020800) },
      { kind: 'telemetry', value: telemetry('b', 1691020800) },
      { kind: 'telemetry', value: telemetry('a', 1691020800, { temperature: 99 }) },
    ]);
    expect(batches).toHaveLength(1);
    expect(batches[0]?.rows.map((r) => r[1])).toEqual(['a', 'b']);
    expect(batches[0]?.rows[0]?.[5]).toBe(21.5);
    expect(batches[0]?.duplicates).toBe(1);
  });

  it('keeps a message_id once per time, whatever the order of the repeats', () => {
    const ids = (kinds: [string, number][]): { kept: string[]; duplicates: number } => {
      const [batch] = buildTableBatches(kinds.map(([id, ts]) => ({ kind: 'telemetry', value: telemetry(id, ts) })));
      return { kept: batch!.rows.map((r) => `${String(r[1])}@${String(r[0]).slice(17, 19)}`), duplicates: batch!.duplicates };
    };
    expect(
      ids([
        ['a', 1691020800],
        ['b', 1691020801],
        ['a', 1691020802], // same id, another time: a row of its own
        ['b', 1691020801],
        ['a', 1691020802],
        ['a', 1691020800],
        ['b', 1691020803],
        ['a', 1691020804],
        ['b', 1691020803],
      ]),
    ).toEqual({ kept: ['a@00', 'b@01', 'a@02', 'b@03', 'a@04'], duplicates: 4 });
  });

  it('maps spec §5 telemetry onto the spec §6 columns', () => {
    const [batch] = buildTableBatches([{ kind: 'telemetry', value: telemetry('a', 1691020800, { temperature: 26.7, co2: 410 }) }]);
    const row = batch!.rows[0]!;
    const byName = Object.fromEntries(tableSpecs.telemetry.columns.map((c, i) => [c.name, row[i]]));
    expect(byName).toMatchObject({
      time: '2023-08-03T00:00:00.000Z',
      message_id: 'a',
      device_id: 'esp32-s3-001',
      device_model: 'esp32-s3',
      temperature: 26.7,
      humidity: null,
      ingest_ts: '2023-08-03T00:00:00.005Z',
    });
    expect(JSON.parse(byName.payload as string).sensors).toEqual({ temperature: 26.7, co2: 410 });
  });

  it('groups kinds into their own tables', () => {
    const batches = buildTableBatches([
      { kind: 'telemetry', value: telemetry('a', 1) },
      {
        kind: 'logs',
        value: {
          message_id: 'l',
          device_id: 'd',
          device_model: 'm',
          timestamp: 1,
          level: 'warn',
          message: 'wifi lost',
          component: 'wifi',
          attributes: { rssi: '-90' },
          firmware_version: null,
          ingest_ts: 1000,
          owner: null,
          location: null,
          metadata: {},
          known_device: false,
          enriched_ts: 1001,
        },
      },
    ]);
    expect(batches.map((b) => b.spec.table).sort()).toEqual(['device_logs', 'telemetry_raw']);
  });
});

describe('statements', () => {
  it('inserts through unnest with one typed array per column and ignores conflicts', () => {
    expect(insertStatement(tableSpecs.telemetry)).toBe(
      'INSERT INTO telemetry_raw (time, message_id, device_id, device_model, payload, temperature, humidity, ingest_ts) ' +
        'SELECT * FROM unnest($1::timestamptz[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::float8[], $7::float8[], $8::timestamptz[]) ON CONFLICT DO NOTHING',
    );
  });

  it('turns rows into column arrays and lists the days to partition', () => {
    const [batch] = buildTableBatches([
      { kind: 'telemetry', value: telemetry('a', 1691020800) },
      { kind: 'telemetry', value: telemetry('b', 1691020800 + 86_400) },
    ]);
    const arrays = columnArrays(batch!);
    expect(arrays).toHaveLength(8);
    expect(arrays[1]).toEqual(['a', 'b']);
    expect(daysOf(batch!)).toEqual(['2023-08-03', '2023-08-04']);
  });
});

describe('COPY text', () => {
  it('escapes backslashes, tabs and newlines and writes NULL as \\N', () => {
    expect(copyTextLine(['a\tb', 'c\nd\\e', null, 1.5, 'x\ry'])).toBe('a\\tb\tc\\nd\\\\e\t\\N\t1.5\tx\\ry\n');
  });

  it('copies into a session staging table and merges with ON CONFLICT DO NOTHING', () => {
    const sql = copyStatements(tableSpecs.logs);
    expect(sql.createStaging).toBe(
      'CREATE TEMP TABLE IF NOT EXISTS zenthos_stage_device_logs (LIKE device_logs INCLUDING DEFAULTS) ON COMMIT DELETE ROWS',
    );
    expect(sql.copy).toMatch(/^COPY zenthos_stage_device_logs \(time, message_id, .*\) FROM STDIN$/);
    expect(sql.merge).toMatch(
      /^INSERT INTO device_logs \(time, .*\) SELECT time, .* FROM zenthos_stage_device_logs ON CONFLICT DO NOTHING$/,
    );
  });

  it('writes telemetry_raw only: the rollups are computed from it in the background', () => {
    const sql = copyStatements(tableSpecs.telemetry);
    expect(sql.merge).toMatch(
      /^INSERT INTO telemetry_raw \(time, message_id, .*\) SELECT .* FROM zenthos_stage_telemetry_raw ON CONFLICT DO NOTHING$/,
    );
    expect(sql.merge).not.toContain('telemetry_sensor_values');
  });
});

describe('isoFromMillis and isoFromSeconds', () => {
  it('write what Date#toISOString writes, whichever second was formatted before', () => {
    const millis = [
      0, 1, 999, 1_000, 1_764_460_800_000, 1_764_460_800_007, 1_764_460_800_042, 1_764_460_800_999, 1_764_460_801_000, 1_764_460_800_500,
      253_402_300_799_999, 253_402_300_800_000, -1, -86_400_001, 1.5,
    ];
    for (const ms of millis) expect(isoFromMillis(ms)).toBe(new Date(ms).toISOString());
    for (const s of [0, 59, 1_764_460_800, 1_764_460_800.25, 1_764_460_801, 1_764_460_800, -5, 253_402_300_800]) {
      expect(isoFromSeconds(s)).toBe(new Date(s * 1000).toISOString());
    }
  });
});
