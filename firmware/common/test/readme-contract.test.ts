// firmware/README.md states THE signing contract with an example; the OTA API is built from that
// text, so the example must stay exactly what the device verifies.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../src/domain/canonical-json';
import { parseReleaseMetadata } from '../src/domain/manifest';

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('firmware/README.md OTA contract example', () => {
  const metadataBlock = /### Release metadata[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
  const signedLine = /For the manifest above the signed text is:\n\n```\n(.*)\n```/.exec(readme)?.[1];

  it('shows metadata with every field the device requires', () => {
    const meta = JSON.parse(metadataBlock!) as Record<string, unknown>;
    const withHex = JSON.parse(JSON.stringify(meta).replace(/<64 lower-case hex>/g, 'a'.repeat(64))) as unknown;
    expect(() => parseReleaseMetadata(withHex)).not.toThrow();
  });

  it('shows as signed text exactly canonicalJson(manifest)', () => {
    const meta = JSON.parse(metadataBlock!) as { manifest: unknown };
    expect(signedLine).toBe(canonicalJson(meta.manifest));
  });
});
