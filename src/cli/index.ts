export { ExitCode } from './exit-codes.js';
export { buildProgram, main } from './program.js';
