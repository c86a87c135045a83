import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {RUNTIME_FILES} from '../../../src/apply/payload.js'
import {formatKeyValues} from '../../../src/protocol/frames.js'
import {hostProgram} from '../../../src/protocol/host-program.js'
import {SHELLS, runUnder, type ShellRun} from '../protocol/shells.js'
import {scratchHost} from './support.js'

export {SHELLS}

/** The runtime's functions without its main: what a test calls piece by piece. */
const PIECES = RUNTIME_FILES.filter((file) => !file.endsWith('/main.sh'))

export interface RuntimeScratch {
  /** Stands in for the transaction's journal directory: spec, out/, pre/, run/. */
  dir: string
  /** Prepended to PATH: stub commands written by stub(). */
  bin: string
}

export function runtimeScratch(spec: Array<[string, string | number]> = []): RuntimeScratch {
  const {root} = scratchHost()
  const dir = join(root, 'journal', '20260102T030405Z-0123abcd')
  const bin = join(root, 'stubs')
  for (const sub of ['out', 'pre', 'run']) mkdirSync(join(dir, sub), {recursive: true})
  mkdirSync(bin)
  writeFileSync(join(dir, 'spec'), formatKeyValues(spec))
  return {dir, bin}
}

/** An executable on the scratch PATH that prints its name and arguments, one per line, and exits `code`. */
export function stub(scratch: RuntimeScratch, name: string, code = 0): string {
  const path = join(scratch.bin, name)
  writeFileSync(
    path,
    `#!/bin/sh\nprintf '%s' '${name}'\nfor a in "$@"; do printf ' [%s]' "$a"; done\necho\nexit ${code}\n`,
  )
  chmodSync(path, 0o755)
  return path
}

/** Run `body` after the runtime's functions, with the globals main's tx_setup would set; PATH: the stubs, then `path`. */
export function runRuntime(
  shell: string[],
  scratch: RuntimeScratch,
  body: string,
  path: string = process.env['PATH'] ?? '/usr/bin:/bin',
): Promise<ShellRun> {
  const setup = [
    `D='${scratch.dir}'`,
    'J=${D%/*}',
    'TXID=${D##*/}',
    "KIND=apply NGINX_BIN=nginx NGINX_PREFIX='' NGINX_CONF='' PHP_CLI=php FORCE_MANAGER=''",
    'SVC_TIMEOUT_MS=2000 PROBE_TIMEOUT_S=5 DRAIN_TIMEOUT_MS=2000',
    'exec 3>/dev/null',
  ].join('\n')
  return runUnder(shell, `${hostProgram(PIECES)}\n${setup}\n${body}`, {
    env: {PATH: `${scratch.bin}:${path}`},
  })
}
