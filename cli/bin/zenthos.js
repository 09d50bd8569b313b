#!/usr/bin/env node
// The zenthos command. Built TypeScript lives in ../dist (npm run build).
'use strict';
// kafkajs schedules a timer with a negative delay on Node 22+ (a known, harmless bug of
// kafkajs 2.2): keep that one warning out of the command's output, print all others.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'TimeoutNegativeWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
});
require('../dist/src/main.js')
  .main(process.argv)
  .catch((err) => {
    process.stderr.write(`zenthos: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
