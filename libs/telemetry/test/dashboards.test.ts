import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { metricNames, prometheusNames, prometheusSeriesNames, type MetricKey } from '../src';

// The Grafana dashboards in compose/ may only query metrics the services export: the names of
// @zenthos/telemetry. Grafana itself does not run here, so the JSON is read and checked.
const root = join(__dirname, '..', '..', '..');
const provisioning = join(root, 'compose', 'grafana', 'provisioning');
const dashboardDir = join(provisioning, 'dashboards', 'zenthos');

interface Target {
  refId: string;
  datasource?: { type: string; uid: string };
  expr?: string;
  rawSql?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  datasource?: { type: string; uid: string };
  query?: string | { query: string };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboards = readdirSync(dashboardDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, json: JSON.parse(readFileSync(join(dashboardDir, file), 'utf8')) as Dashboard }));

const panelsOf = (d: Dashboard): Panel[] => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queriesOf = (d: Dashboard, type: string): string[] => [
  ...panelsOf(d).flatMap((p) =>
    (p.targets ?? []).filter((t) => (t.datasource ?? p.datasource)?.type === type).map((t) => t.expr ?? t.rawSql ?? ''),
  ),
  ...d.templating.list
    .filter((v) => v.type === 'query' && v.datasource?.type === type)
    .map((v) => (typeof v.query === 'string' ? v.query : (v.query?.query ?? ''))),
];

// Grafana variables and macros are not PromQL: give them plain values before parsing.
const grafanaToPromql = (expr: string): string =>
  expr
    .replace(/\$__(rate_interval|interval|range)\b/g, '5m')
    .replace(/\$\{?(\w+)(:\w+)?\}?/g, 'x')
    .replace(/^label_values\((\w+),\s*\w+\)$/, '$1');

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression selects. */
const metricsIn = (expr: string): string[] => {
  const stripped = grafanaToPromql(expr)
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // string literals
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // range selectors
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ''); // label lists
  return [...stripped.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)]
    .map((m) => m[1]!)
    .filter((w) => !PROMQL_WORDS.has(w.toLowerCase()));
};

const datasourceUids = new Set(
  (
    parse(readFileSync(join(provisioning, 'datasources', 'datasources.yaml'), 'utf8')) as { datasources: Array<{ uid: string }> }
  ).datasources.map((d) => d.uid),
);

describe('metricsIn (the PromQL reader of these checks)', () => {
  it.each([
    [
      'sum by (le, kind) (rate(zenthos_a_bucket{kind=~"$kind", x="sum(y)"}[$__rate_interval])) / on (kind) zenthos_b',
      ['zenthos_a_bucket', 'zenthos_b'],
    ],
    ['histogram_quantile(0.95, sum without (instance) (rate(typo_metric[5m]))) or vector(0)', ['typo_metric']],
    ['label_values(zenthos_c, rollout_id)', ['zenthos_c']],
  ])('%s', (expr, names) => expect(metricsIn(expr)).toEqual(names));
});

describe('Grafana dashboards (compose/grafana/provisioning/dashboards)', () => {
  it('are the four of the issue, each with a unique uid', () => {
    expect(dashboards.map((d) => d.json.uid).sort()).toEqual(['zenthos-fleet', 'zenthos-ota', 'zenthos-pipeline', 'zenthos-telemetry']);
  });

  it('are provisioned from the folder they live in', () => {
    const provider = parse(readFileSync(join(provisioning, 'dashboards', 'dashboards.yaml'), 'utf8')) as {
      providers: Array<{ options: { path: string } }>;
    };
    // docker-compose.yml mounts compose/grafana/provisioning at /etc/grafana/provisioning.
    expect(provider.providers.map((p) => p.options.path)).toEqual(['/etc/grafana/provisioning/dashboards/zenthos']);
    const compose = readFileSync(join(root, 'compose', 'docker-compose.yml'), 'utf8');
    expect(compose).toContain('./grafana/provisioning:/etc/grafana/provisioning');
  });

  it.each(dashboards.map((d) => [d.file, d.json] as const))('%s: panels have unique ids and use provisioned data sources', (_file, d) => {
    const panels = panelsOf(d);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels.filter((x) => x.type !== 'row')) {
      expect(p.targets?.length).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(datasourceUids).toContain((t.datasource ?? p.datasource)?.uid);
    }
  });

  it.each(dashboards.map((d) => [d.file, d.json] as const))(
    '%s: every Prometheus query selects only metrics that @zenthos/telemetry exports',
    (_file, d) => {
      const exported = new Set(prometheusSeriesNames());
      const queries = queriesOf(d, 'prometheus');
      for (const q of queries) {
        const names = metricsIn(q);
        expect({ q, names: names.length > 0 }).toEqual({ q, names: true });
        expect({ q, unknown: names.filter((n) => !exported.has(n)) }).toEqual({ q, unknown: [] });
      }
    },
  );

  it('all Prometheus queries parse as PromQL (promtool check rules)', () => {
    const exprs = dashboards.flatMap((d) => queriesOf(d.json, 'prometheus')).map(grafanaToPromql);
    expect(exprs.length).toBeGreaterThan(20);
    const dir = mkdtempSync(join(tmpdir(), 'zenthos-promql-'));
    try {
      const rules = { groups: [{ name: 'dashboards', rules: exprs.map((expr, i) => ({ record: `zenthos:dashboard_query:${i}`, expr })) }] };
      writeFileSync(join(dir, 'rules.json'), JSON.stringify(rules));
      const run = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.json')], { encoding: 'utf8' });
      expect(run.error).toBeUndefined();
      expect({ status: run.status, out: run.status === 0 ? '' : `${run.stdout}${run.stderr}` }).toEqual({ status: 0, out: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('together show every Zenthos metric, including the four of spec §10', () => {
    const used = new Set(dashboards.flatMap((d) => queriesOf(d.json, 'prometheus')).flatMap(metricsIn));
    const unused = (Object.keys(metricNames) as MetricKey[]).filter(
      (k) =>
        ![prometheusNames[k], `${prometheusNames[k]}_bucket`, `${prometheusNames[k]}_count`, `${prometheusNames[k]}_sum`].some((n) =>
          used.has(n),
        ),
    );
    expect(unused).toEqual([]);
  });

  it('query only tables that libs/db migrations create', () => {
    const migrations = readdirSync(join(root, 'libs', 'db', 'migrations'))
      .filter((f) => f.endsWith('.sql'))
      .map((f) => readFileSync(join(root, 'libs', 'db', 'migrations', f), 'utf8'))
      .join('\n');
    const created = new Set([
      ...[...migrations.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/gi)].map((m) => m[1]!.toLowerCase()),
      ...[...migrations.matchAll(/ARRAY\['(\w+)', \$cols\$/g)].map((m) => m[1]!.toLowerCase()), // the time-series tables
    ]);
    const tables = dashboards
      .flatMap((d) => queriesOf(d.json, 'grafana-postgresql-datasource'))
      .flatMap((q) => [...q.matchAll(/\b(?:FROM|JOIN)\s+(\w+)\b(?!\s*\()/gi)].map((m) => m[1]!.toLowerCase()));
    expect(tables).toContain('telemetry_raw');
    expect([...new Set(tables)].filter((t) => !created.has(t))).toEqual([]);
  });
});
