#!/usr/bin/env node
// The `offramp` executable: everything lives in program.ts, so importing the CLI never runs it.
import { main } from './program.js';

await main(process.argv);
