// Runs every workspace package's tests (each package has its own jest.config.js).
const rootPkg = require('./package.json');
module.exports = {
  projects: rootPkg.workspaces.map((w) => `<rootDir>/${w}`),
  // Integration tests talk to real brokers and databases: give them time (never a speed check).
  testTimeout: 120_000,
};
