// Runs every workspace package's tests (each package has its own jest.config.js).
const rootPkg = require('./package.json');
module.exports = {
  projects: rootPkg.workspaces.map((w) => `<rootDir>/${w}`),
};
