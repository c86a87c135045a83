/**
 * The gather as it was at script version 1 (TS string fragments), frozen: its script as a
 * file and the parser that read it. The equivalence test runs it next to the current gather
 * on the same host and compares the snapshots and plans. Delete this directory once the
 * static-file gather has shipped and the comparison has nothing left to prove.
 */
import {readFileSync} from 'node:fs'
import {assertBoundary} from '../../../src/protocol/boundary.js'

export {parseGatherOutput as parseGatherOutputV1} from './parse-gather-output.js'

const SCRIPT = readFileSync(new URL('gather-v1.sh', import.meta.url), 'utf8')

/** The version 1 script with its run boundary; send it to `sh -s`. */
export function gatherScriptV1(boundary: string): string {
  assertBoundary(boundary)
  return `#!/bin/sh\nB='${boundary}'\n${SCRIPT}`
}
