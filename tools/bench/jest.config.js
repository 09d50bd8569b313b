// The host adapters are a sub-path export of @zenthos/firmware-common; map it to its sources too.
const base = require('../../jest.base.js')(__dirname);
module.exports = {
  ...base,
  moduleNameMapper: { ...base.moduleNameMapper, '^@zenthos/firmware-common/host$': `${__dirname}/../../firmware/common/src/host/index.ts` },
};
