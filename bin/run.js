#!/usr/bin/env node
import {setFlagsFromString} from 'node:v8'

// A plan over a fleet allocates much short-lived text (each host's gather output) and keeps
// little of it: a heap tuned for size keeps the peak RSS a quarter lower for slightly more CPU
// (bench/gather.ts, scale part). Set before anything else is loaded.
setFlagsFromString('--optimize-for-size')
const {execute} = await import('@oclif/core')

await execute({dir: import.meta.url})
