import {SCRIPT_FPM} from './script/fpm.js'
import {SCRIPT_FRAMING} from './script/framing.js'
import {SCRIPT_HOST} from './script/host.js'
import {SCRIPT_NGINX} from './script/nginx.js'
import {SCRIPT_PATHS} from './script/paths.js'
import {assertBoundary} from '../protocol/boundary.js'
import {hostProgram} from '../protocol/host-program.js'

/** Bumped whenever the sections the script prints change shape. */
export const GATHER_SCRIPT_VERSION = 1

/*
 * The read-only POSIX sh script that collects one host in one exec. It runs
 * under dash, BusyBox ash and bash. Every path that comes from a config file
 * is only ever used as a quoted "$var", a redirection target or a glob
 * pattern: never eval'd, never spliced into a command line.
 *
 * The fragments write sh parameter expansions as `$\{…}` so their templates
 * leave them alone; buildGatherScript() restores them.
 */
const SCRIPT_TEMPLATE = [SCRIPT_FRAMING, SCRIPT_HOST, SCRIPT_NGINX, SCRIPT_FPM, SCRIPT_PATHS].join('\n')

/** The script with its per-run section boundary filled in; send it to `sh -s` on stdin. */
export function buildGatherScript(boundary: string): string {
  assertBoundary(boundary)
  const collectors = SCRIPT_TEMPLATE.replaceAll('$\\{', '${').replace('@VERSION@', String(GATHER_SCRIPT_VERSION))
  return `${hostProgram(['protocol/sh/frame.sh'], {B: boundary})}\n${collectors}`
}
