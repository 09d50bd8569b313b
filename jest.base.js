// Shared Jest settings: TypeScript through SWC, and workspace packages (@zenthos/*) resolved to
// their sources so tests never run against a stale build.
const fs = require('node:fs');
const path = require('node:path');

const root = __dirname;
const rootPkg = require('./package.json');

function workspaceDirs() {
  const dirs = [];
  for (const pattern of rootPkg.workspaces) {
    if (pattern.endsWith('/*')) {
      const base = path.join(root, pattern.slice(0, -2));
      for (const name of fs.existsSync(base) ? fs.readdirSync(base) : []) dirs.push(path.join(base, name));
    } else {
      dirs.push(path.join(root, pattern));
    }
  }
  return dirs.filter((d) => fs.existsSync(path.join(d, 'package.json')));
}

const moduleNameMapper = {};
for (const dir of workspaceDirs()) {
  const { name } = require(path.join(dir, 'package.json'));
  moduleNameMapper[`^${name.replace('/', '\\/')}$`] = path.join(dir, 'src/index.ts');
}

/** @param {string} dir the package folder */
module.exports = (dir) => ({
  displayName: path.relative(root, dir),
  rootDir: dir,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  // Some dependencies (aedes and its plugins) ship only ES modules; SWC turns them into CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(aedes|aedes-[^/]+|mqemitter[^/]*|commander)/)'],
  moduleNameMapper,
});
