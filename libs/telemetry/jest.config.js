const base = require('../../jest.base.js')(__dirname);

// The OTLP exporters load node:http with a dynamic import() (in .cjs files), which Jest's VM
// refuses without --experimental-vm-modules; letting SWC compile @opentelemetry's .cjs files
// turns it into require().
const swc = Object.values(base.transform)[0];
module.exports = {
  ...base,
  // e2e/ holds the end-to-end trace test, which needs the other services (own tsconfig there).
  testMatch: [...base.testMatch, '<rootDir>/e2e/**/*.test.ts'],
  transform: { ...base.transform, '^.+\\.cjs$': swc },
  transformIgnorePatterns: base.transformIgnorePatterns.map((p) => p.replace('(?!(', '(?!(@opentelemetry|')),
};
