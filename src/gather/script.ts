import {assertBoundary} from '../protocol/boundary.js'
import {hostProgram} from '../protocol/host-program.js'
import {DEFAULT_STATE_DIR} from '../protocol/journal.js'
import {GATHER_LIMITS, GATHER_SCRIPT_VERSION} from './limits.js'

export {GATHER_SCRIPT_VERSION} from './limits.js'

/**
 * The read-only POSIX sh program that collects one host in one exec (gather/script/*.sh, see
 * main.sh for the order). It runs under dash, BusyBox ash and bash. Every path that comes from a
 * config file is only ever used as a quoted "$var", a redirection target or a glob pattern:
 * never eval'd, never spliced into a command line.
 */
const GATHER_FILES = [
  'protocol/sh/frame.sh',
  'protocol/sh/proc.sh',
  'protocol/sh/state.sh',
  'protocol/sh/journal.sh',
  'gather/script/common.sh',
  'gather/script/host.sh',
  'gather/script/nginx.sh',
  'gather/script/fpm.sh',
  'gather/script/paths.sh',
  'gather/script/batch.sh',
  'gather/script/live-state.sh',
  'gather/script/main.sh',
]

/** The script with its run's section boundary, limits and fpmfix state directory; send it to `sh -s` on stdin. */
export function buildGatherScript(boundary: string, stateDir: string = DEFAULT_STATE_DIR): string {
  assertBoundary(boundary)
  return hostProgram(GATHER_FILES, {
    B: boundary,
    STATE_DIR: stateDir,
    VERSION: String(GATHER_SCRIPT_VERSION),
    CAP_FILE: String(GATHER_LIMITS.fileBytes),
    CAP_CMD: String(GATHER_LIMITS.commandBytes),
    CAP_DUMP: String(GATHER_LIMITS.dumpBytes),
    LOG_BYTES: String(GATHER_LIMITS.logBytes),
  })
}
