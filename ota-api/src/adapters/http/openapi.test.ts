import { createOtaApp, type OtaAppDeps } from './app';
import { openApiDocument } from './openapi';

// Route registration touches none of the dependencies, so empty stand-ins are enough here.
const app = createOtaApp({ checks: {}, maxArtifactBytes: 1024, onlineWindowS: 60, s3Redirect: false } as unknown as OtaAppDeps);

const registered = (): string[] => {
  const stack = (app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router.stack;
  return stack
    .filter((layer) => layer.route)
    .flatMap((layer) =>
      Object.keys(layer.route!.methods).map((m) => `${m.toUpperCase()} ${layer.route!.path.replace(/:([a-z_]+)/g, '{$1}')}`),
    )
    .sort();
};
const documented = (): string[] =>
  Object.entries(openApiDocument.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();

describe('OpenAPI document', () => {
  it('documents exactly the routes express serves', () => {
    expect(registered().length).toBeGreaterThan(20);
    expect(documented()).toEqual(registered());
  });

  it('names the path parameters of every templated path', () => {
    for (const [path, ops] of Object.entries(openApiDocument.paths)) {
      const names = [...path.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(ops) as { parameters?: { name: string; in: string }[] }[]) {
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        expect([path, declared.sort()]).toEqual([path, [...names].sort()]);
      }
    }
  });

  it('gives every operation responses and every management route a scope', () => {
    for (const [path, ops] of Object.entries(openApiDocument.paths)) {
      for (const [method, op] of Object.entries(ops) as [
        string,
        { responses?: object; security?: { apiToken?: string[] }[]; 'x-zenthos-scope'?: string },
      ][]) {
        expect([method, path, Object.keys(op.responses ?? {}).length > 0]).toEqual([method, path, true]);
        const needsApiToken = (op.security ?? []).some((s) => s.apiToken);
        if (needsApiToken) expect(['read', 'publish', 'rollback']).toContain(op['x-zenthos-scope']);
      }
    }
  });
});
