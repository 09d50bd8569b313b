import type { EnrichedByKind, RecordKind } from './records';

/** A column of a time-series table and the Postgres type its unnest() array is cast to. */
export interface Column {
  readonly name: string;
  readonly type: 'timestamptz' | 'uuid' | 'text' | 'jsonb' | 'float8' | 'int8' | 'int4';
}

/** How one kind of record lands in its table (the topology of the sink, as data). */
export interface TableSpec<K extends RecordKind = RecordKind> {
  readonly kind: K;
  readonly table: string;
  readonly columns: readonly Column[];
  /** One value per column, in order; `null` for SQL NULL. */
  readonly toRow: (value: EnrichedByKind[K]) => readonly unknown[];
}

/** A value array ready for unnest(): strings, numbers or null. */
export type Row = readonly unknown[];

// ISO 8601 text of the last whole second formatted ('YYYY-MM-DDTHH:MM:SS'): the records of a
// batch mostly share a few seconds, and Date#toISOString was a tenth of the sink's CPU per row.
let cachedSecond = Number.NaN;
let cachedPrefix = '';
const secondPrefix = (second: number): string => {
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19);
    cachedSecond = second;
  }
  return cachedPrefix;
};
/** Years 0-9999: toISOString's plain four-digit form, which the prefix cache relies on. */
export const MAX_ISO_MS = 253_402_300_799_999;

/** Epoch milliseconds as ISO 8601 UTC with milliseconds, as `Date#toISOString` writes them. */
export const isoFromMillis = (ms: number): string => {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_ISO_MS) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000);
  const frac = ms - second * 1000;
  return `${secondPrefix(second)}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
};

// spec §5: `timestamp` is UTC epoch seconds from the device clock.
/** Epoch seconds (fractions allowed) as ISO 8601 UTC, as `Date#toISOString` writes them. */
export const isoFromSeconds = (s: number): string => (Number.isInteger(s) ? isoFromMillis(s * 1000) : new Date(s * 1000).toISOString());
const jsonOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
const numberOrNull = (v: number | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const col = (name: string, type: Column['type']): Column => ({ name, type });

/** Table layouts of migration 0100_timeseries.sql, one per record kind. */
export const tableSpecs: { readonly [K in RecordKind]: TableSpec<K> } = {
  telemetry: {
    kind: 'telemetry',
    table: 'telemetry_raw',
    columns: [
      col('time', 'timestamptz'),
      col('message_id', 'uuid'),
      col('device_id', 'text'),
      col('device_model', 'text'),
      col('payload', 'jsonb'),
      col('temperature', 'float8'),
      col('humidity', 'float8'),
      col('ingest_ts', 'timestamptz'),
    ],
    // spec §6 keeps temperature and humidity as columns (dashboards read them) and the whole
    // message in `payload`, so sensors without a column are never lost.
    toRow: (v) => [
      isoFromSeconds(v.timestamp),
      v.message_id,
      v.device_id,
      v.device_model,
      JSON.stringify(v),
      numberOrNull(v.sensors.temperature),
      numberOrNull(v.sensors.humidity),
      isoFromMillis(v.ingest_ts),
    ],
  },
  status: {
    kind: 'status',
    table: 'device_status',
    columns: [
      col('time', 'timestamptz'),
      col('message_id', 'uuid'),
      col('device_id', 'text'),
      col('device_model', 'text'),
      col('state', 'text'),
      col('firmware_version', 'text'),
      col('model_version', 'text'),
      col('uptime_s', 'int8'),
      col('rssi_dbm', 'int4'),
      col('free_heap_bytes', 'int8'),
      col('ota', 'jsonb'),
      col('ingest_ts', 'timestamptz'),
    ],
    toRow: (v) => [
      isoFromSeconds(v.timestamp),
      v.message_id,
      v.device_id,
      v.device_model,
      v.state,
      v.firmware_version,
      v.model_version,
      v.uptime_s,
      v.rssi_dbm,
      v.free_heap_bytes,
      jsonOrNull(v.ota),
      isoFromMillis(v.ingest_ts),
    ],
  },
  inference: {
    kind: 'inference',
    table: 'inference_results',
    columns: [
      col('time', 'timestamptz'),
      col('message_id', 'uuid'),
      col('device_id', 'text'),
      col('device_model', 'text'),
      col('model_version', 'text'),
      col('label', 'text'),
      col('result', 'jsonb'),
      col('confidence', 'float8'),
      col('latency_ms', 'float8'),
      col('ingest_ts', 'timestamptz'),
    ],
    // inference_results.result (spec §6): the scores plus any further output the model reported.
    toRow: (v) => [
      isoFromSeconds(v.timestamp),
      v.message_id,
      v.device_id,
      v.device_model,
      v.model_version,
      v.label,
      JSON.stringify({ scores: v.scores, output: v.result_json === null ? null : safeJson(v.result_json) }),
      v.confidence,
      v.latency_ms,
      isoFromMillis(v.ingest_ts),
    ],
  },
  logs: {
    kind: 'logs',
    table: 'device_logs',
    columns: [
      col('time', 'timestamptz'),
      col('message_id', 'uuid'),
      col('device_id', 'text'),
      col('device_model', 'text'),
      col('level', 'text'),
      col('message', 'text'),
      col('component', 'text'),
      col('attributes', 'jsonb'),
      col('firmware_version', 'text'),
      col('ingest_ts', 'timestamptz'),
    ],
    toRow: (v) => [
      isoFromSeconds(v.timestamp),
      v.message_id,
      v.device_id,
      v.device_model,
      v.level,
      v.message,
      v.component,
      JSON.stringify(v.attributes),
      v.firmware_version,
      isoFromMillis(v.ingest_ts),
    ],
  },
};

/** A device's free-form JSON output, kept as a string when it is not valid JSON. */
function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Rows for one table, duplicates removed. */
export interface TableBatch {
  readonly spec: TableSpec;
  readonly rows: Row[];
  /** Records dropped because an earlier record of the batch had the same key. */
  readonly duplicates: number;
}

/** A record of a batch: its decoded value, or its row already read from the bytes. */
export type RowSource =
  { readonly kind: RecordKind; readonly value: EnrichedByKind[RecordKind] } | { readonly kind: RecordKind; readonly row: Row };

/**
 * Groups decoded values (or rows) by table and keeps the first record of each (message_id, time), the
 * tables' unique key: the database would ignore the rest anyway (ON CONFLICT DO NOTHING), but
 * sending them costs bandwidth and index lookups.
 */
export function buildTableBatches(values: readonly RowSource[]): TableBatch[] {
  const byKind = new Map<RecordKind, KindGroup>();
  for (const item of values) {
    const { kind } = item;
    let group = byKind.get(kind);
    if (!group) {
      group = { rows: [], timeOf: new Map(), pairs: undefined, duplicates: 0 };
      byKind.set(kind, group);
    }
    const row = 'row' in item ? item.row : (tableSpecs[kind] as TableSpec).toRow(item.value as never);
    if (isRepeat(group, row[1], row[0])) {
      group.duplicates++;
      continue;
    }
    group.rows.push(row);
  }
  return [...byKind.entries()].map(([kind, g]) => ({ spec: tableSpecs[kind] as TableSpec, rows: g.rows, duplicates: g.duplicates }));
}

/** The rows of one kind gathered so far, and the keys (message_id, time) seen. */
interface KindGroup {
  rows: Row[];
  /** The time of the first row of each message_id. */
  timeOf: Map<unknown, unknown>;
  /** `message_id NUL time` of message_ids seen with more than one time (rare). */
  pairs: Set<string> | undefined;
  duplicates: number;
}

/**
 * Whether (id, time) was seen already; notes it otherwise. A map from message_id to its time
 * instead of a set of `id + time` strings: no key string built per row (a message_id comes with
 * one time but for devices that resend with another clock reading).
 */
function isRepeat(group: KindGroup, id: unknown, time: unknown): boolean {
  const first = group.timeOf.get(id);
  if (first === undefined && !group.timeOf.has(id)) {
    group.timeOf.set(id, time);
    return false;
  }
  if (first === time) return true;
  const key = `${String(id)}\u0000${String(time)}`;
  const pairs = (group.pairs ??= new Set());
  if (pairs.has(key)) return true;
  pairs.add(`${String(id)}\u0000${String(first)}`);
  pairs.add(key);
  return false;
}

/** The distinct UTC days (YYYY-MM-DD) of a batch's rows, whose partitions must exist. */
export function daysOf(batch: TableBatch): string[] {
  const days = new Set<string>();
  let last = '';
  for (const r of batch.rows) {
    const time = String(r[0]);
    // Rows of a batch mostly share a day: compare in place before slicing.
    if (last !== '' && time.startsWith(last)) continue;
    last = time.slice(0, 10);
    days.add(last);
  }
  return [...days].sort();
}

/**
 * The `INSERT … SELECT * FROM unnest(...)` statement for a table: one round trip and one plan
 * whatever the batch size, with one array parameter per column. The writer COPies instead (less
 * Postgres CPU per row, measured for batches of 200 and 5,000 rows); this is for callers without
 * COPY (PGlite).
 */
export function insertStatement(spec: Pick<TableSpec, 'table' | 'columns'>): string {
  const names = spec.columns.map((c) => c.name).join(', ');
  const arrays = spec.columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ');
  return `INSERT INTO ${spec.table} (${names}) SELECT * FROM unnest(${arrays}) ON CONFLICT DO NOTHING`;
}

/** Column-wise arrays of a batch, the parameters of {@link insertStatement}. */
export function columnArrays(batch: TableBatch): unknown[][] {
  const arrays: unknown[][] = batch.spec.columns.map(() => new Array<unknown>(batch.rows.length));
  batch.rows.forEach((row, r) => {
    for (let c = 0; c < arrays.length; c++) (arrays[c] as unknown[])[r] = row[c] ?? null;
  });
  return arrays;
}

/** The per-session staging table a batch is COPied into before it is merged into `table`. */
export const stagingTable = (table: string): string => `zenthos_stage_${table}`;

// COPY text format (PostgreSQL docs, COPY "Text Format"): backslash, newline, carriage return
// and tab are escaped; \N is NULL.
const COPY_SPECIAL = /[\\\n\r\t]/;
const copyEscape = (s: string): string =>
  COPY_SPECIAL.test(s) ? s.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t')) : s;

/** One row as a line of COPY text format. */
export const copyTextLine = (row: Row): string => {
  // A plain loop: no per-row arrays, and numbers (never escaped) go as they are.
  let line = '';
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (i > 0) line += '\t';
    line += v === null || v === undefined ? '\\N' : typeof v === 'number' ? String(v) : copyEscape(typeof v === 'string' ? v : String(v));
  }
  return `${line}\n`;
};

/**
 * The statements that move a batch: `copyDirect` straight into the table (the writer's first try:
 * it fails on a row stored already), else COPY into the staging table, then one merge, `INSERT …
 * SELECT … ON CONFLICT DO NOTHING`, whose row count is the number of rows added to `table`.
 * Nothing else is written in the transaction: the rollups are computed from `table` in the
 * background (migration 0130_deferred_rollups.sql).
 */
export function copyStatements(spec: Pick<TableSpec, 'table' | 'columns'>): {
  createStaging: string;
  copy: string;
  merge: string;
  copyDirect: string;
} {
  const names = spec.columns.map((c) => c.name).join(', ');
  const stage = stagingTable(spec.table);
  return {
    // Temporary (no WAL, no indexes), emptied at every commit.
    createStaging: `CREATE TEMP TABLE IF NOT EXISTS ${stage} (LIKE ${spec.table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`,
    copy: `COPY ${stage} (${names}) FROM STDIN`,
    merge: `INSERT INTO ${spec.table} (${names}) SELECT ${names} FROM ${stage} ON CONFLICT DO NOTHING`,
    // Straight into the table: for rows none of which is stored yet (a unique key stops it otherwise).
    copyDirect: `COPY ${spec.table} (${names}) FROM STDIN`,
  };
}
