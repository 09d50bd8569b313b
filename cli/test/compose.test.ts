import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../src/project';

// compose/ cannot run without Docker here, so its structure is checked instead.
const root = projectRoot();
interface ComposeService {
  image?: string;
  build?: unknown;
  healthcheck?: { test?: unknown };
  ports?: string[];
  environment?: Record<string, unknown>;
}
const compose = parse(readFileSync(join(root, 'compose', 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const envExample = readFileSync(join(root, '.env.example'), 'utf8');
/** Variable names documented in .env.example, set or commented out. */
const documented = new Set([...envExample.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));

describe('compose/docker-compose.yml', () => {
  const services = Object.entries(compose.services);

  it('has the infrastructure and the Zenthos services', () => {
    const names = services.map(([n]) => n);
    for (const required of [
      'kafka',
      'registry',
      'timescaledb',
      'rabbitmq',
      'redis',
      'minio',
      'otel-collector',
      'prometheus',
      'loki',
      'tempo',
      'grafana',
      'bridge',
      'ota',
    ]) {
      expect(names).toContain(required);
    }
  });

  it.each(services)('%s has an image or a build, and a health check', (_name, svc) => {
    expect(Boolean(svc.image) || Boolean(svc.build)).toBe(true);
    expect(svc.healthcheck?.test).toBeDefined();
  });

  it('publishes no host port twice', () => {
    const hostPorts = services.flatMap(([, svc]) => (svc.ports ?? []).map((p) => String(p).split(':').slice(-2)[0]));
    expect(hostPorts.length).toBeGreaterThan(5);
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it('only uses variables that .env.example documents', () => {
    const text = readFileSync(join(root, 'compose', 'docker-compose.yml'), 'utf8');
    const referenced = [...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]);
    const zenthosEnv = services.filter(([, s]) => s.build).flatMap(([, s]) => Object.keys(s.environment ?? {}));
    const missing = [...new Set([...referenced, ...zenthosEnv])].filter((v) => !documented.has(v));
    expect(missing).toEqual([]);
  });
});

describe('.env.example', () => {
  // Every variable a package's config.ts reads must be documented for operators.
  const configFiles = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      if (['node_modules', 'dist', '.git', '.zenthos'].includes(name)) return [];
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return configFiles(path);
      return name === 'config.ts' && path.includes(`${'src'}`) ? [path] : [];
    });

  it('documents every variable the services read', () => {
    const files = configFiles(root);
    expect(files.length).toBeGreaterThan(0);
    const missing = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/^\s+([A-Z][A-Z0-9_]{2,}):\s/gm)]
        .map((m) => m[1]!)
        .filter((name) => !documented.has(name))
        .map((name) => `${name} (${relative(root, file)})`),
    );
    expect(missing).toEqual([]);
  });
});
