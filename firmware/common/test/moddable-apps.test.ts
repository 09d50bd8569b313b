// The ESP32 apps cannot be built here (no Moddable SDK / ESP-IDF), so these tests check what
// can go wrong between this repository and `mcconfig`: module names, imports, device-only code
// and partition tables.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';

const firmware = join(__dirname, '..', '..');
const commonSrc = join(firmware, 'common', 'src');

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });

const deviceSources = walk(commonSrc)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => relative(commonSrc, f).split('\\').join('/'))
  .filter((f) => !f.startsWith('host/') && f !== 'index.ts');

const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const shared = readJson(join(firmware, 'moddable', 'manifest.json')) as { modules: Record<string, string>; include: string[] };
const nativeManifest = readJson(join(firmware, 'moddable', 'native', 'manifest.json')) as { modules: Record<string, string> };
const known = new Set([...Object.keys(shared.modules), ...Object.keys(nativeManifest.modules)]);

const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);

describe('firmware/moddable/manifest.json', () => {
  it.each(deviceSources)('maps common/src/%s to a zenthos/ module name', (file) => {
    const name = file.slice(0, -3);
    expect(shared.modules[`zenthos/${name}`]).toBe(`../common/src/${name}`);
  });

  it('maps only files that exist', () => {
    for (const [name, path] of Object.entries(shared.modules)) {
      expect([name, statSync(join(firmware, 'moddable', `${path}.ts`)).isFile()]).toEqual([name, true]);
    }
  });

  // XS resolves a relative specifier against the importing module's name, so "../errors" from
  // "zenthos/domain/device" must be "zenthos/errors" — a module the manifest provides.
  it.each(deviceSources)('resolves every relative import of %s to a mapped module', (file) => {
    for (const spec of importsOf(join(commonSrc, file)).filter((s) => s.startsWith('.'))) {
      const resolved = posix.join('zenthos', posix.dirname(file), spec);
      expect([spec, known.has(resolved)]).toEqual([spec, true]);
    }
  });

  it.each(['moddable/app.ts', 'moddable/mqtt.ts', 'moddable/firmware-slots.ts', 'esp32-s3/main.ts', 'esp32-cam/main.ts'])(
    '%s imports only modules the manifests provide (or Moddable SDK modules)',
    (file) => {
      for (const spec of importsOf(join(firmware, file)).filter((s) => s.startsWith('zenthos'))) {
        expect([spec, known.has(spec)]).toEqual([spec, true]);
      }
    },
  );
});

describe('device code stays free of Node APIs', () => {
  const forbidden: [string, RegExp][] = [
    ['node: imports', /from\s+'node:/],
    ['Buffer', /\bBuffer\b/],
    ['process', /\bprocess\./],
    ['require()', /\brequire\(/],
    ['setTimeout / setInterval', /\bset(Timeout|Interval|Immediate)\(/],
    ['console', /\bconsole\./],
    ['TextEncoder / TextDecoder', /\bText(En|De)coder\b/],
  ];
  it.each(deviceSources)('%s', (file) => {
    // Comments may name what the code avoids; only code counts.
    const text = readFileSync(join(commonSrc, file), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    expect(forbidden.filter(([, re]) => re.test(text)).map(([name]) => name)).toEqual([]);
  });
});

describe('app manifests and partition tables', () => {
  const parseCsv = (path: string) =>
    readFileSync(path, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const [name, type, subtype, offset, size] = l.split(',').map((c) => c.trim());
        return { name: name!, type: type!, subtype: subtype!, offset: Number(offset), size: Number(size) };
      });

  it.each([
    ['esp32-s3', 8 * 1024 * 1024],
    ['esp32-cam', 4 * 1024 * 1024],
  ])('%s: manifest config and a partition table with two equal OTA slots and two model slots', (app, flashBytes) => {
    const manifest = readJson(join(firmware, app, 'manifest.json')) as {
      include: string[];
      config: Record<string, unknown>;
      build: Record<string, string>;
    };
    expect(manifest.include).toContain('../moddable/manifest.json');
    expect(manifest.config.zenthos_device_model).toBe(app);
    expect(manifest.config.zenthos_firmware_version).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(readFileSync(join(firmware, app, 'sdkconfig', 'sdkconfig.defaults'), 'utf8')).toContain(
      'CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y',
    );

    const parts = parseCsv(join(firmware, app, manifest.build.PARTITIONS_FILE!));
    const byName = new Map(parts.map((p) => [p.name, p]));
    expect(byName.get('ota_0')!.size).toBe(byName.get('ota_1')!.size);
    expect(byName.get('model0')!.size).toBe(byName.get('model1')!.size);
    expect(byName.has('otadata') && byName.has('nvs')).toBe(true);
    for (const p of parts.filter((x) => x.type === 'app')) expect([p.name, p.offset % 0x10000]).toEqual([p.name, 0]);
    const sorted = [...parts].sort((a, b) => a.offset - b.offset);
    sorted.forEach((p, i) => {
      if (i > 0) expect(p.offset).toBeGreaterThanOrEqual(sorted[i - 1]!.offset + sorted[i - 1]!.size);
    });
    const last = sorted.at(-1)!;
    expect(last.offset + last.size).toBeLessThanOrEqual(flashBytes);
  });
});
