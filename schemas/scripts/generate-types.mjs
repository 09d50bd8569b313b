// Generates src/generated/*.ts from avro/*.avsc. Run before the build (root `prebuild`) and by
// `npm run generate -w @zenthos/schemas`. With --check it writes nothing and exits 1 when the
// committed files differ from what the schemas produce.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';
import { generateFiles, readContractSources } from '../src/domain/codegen.ts';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(pkgDir, 'src', 'generated');
const check = process.argv.includes('--check');

const files = generateFiles(readContractSources(join(pkgDir, 'avro')));
let drift = 0;
for (const [name, text] of Object.entries(files)) {
  const path = join(outDir, name);
  const options = (await prettier.resolveConfig(path)) ?? {};
  const formatted = await prettier.format(text, { singleQuote: true, printWidth: 140, trailingComma: 'all', ...options, filepath: path });
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === formatted) continue;
  if (check) {
    process.stderr.write(`schemas: ${name} is out of date with avro/*.avsc; run npm run generate -w @zenthos/schemas\n`);
    drift += 1;
  } else {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path, formatted);
    process.stdout.write(`schemas: wrote src/generated/${name}\n`);
  }
}
process.exitCode = drift > 0 ? 1 : 0;
