#!/usr/bin/env node
import {setFlagsFromString} from 'node:v8'

// Reading a fleet (plan, facts) allocates much short-lived text (each host's gather output) and
// keeps little of it: a heap tuned for size keeps the peak RSS a quarter lower for slightly more
// CPU (bench/gather.ts, scale part). Not for the rest: verify --from-here generates load in this
// process. Set before anything else is loaded.
if (['plan', 'facts'].includes(process.argv[2] ?? '')) setFlagsFromString('--optimize-for-size')
const {execute} = await import('@oclif/core')

await execute({dir: import.meta.url})
