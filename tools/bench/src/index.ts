export { registerBenchCommands } from './cli';
