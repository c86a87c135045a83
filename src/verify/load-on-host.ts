import {readFileSync} from 'node:fs'

import type {Transport} from '../transport/transport.js'
import {shellJoin, shellQuote} from '../util/shell-quote.js'
import {parseLoadOutput} from './load-output.js'
import type {HttpTarget} from './load-here.js'
import type {LoadSample, LoadSpec} from './types.js'

/** The host-side program and its launcher, read once from the files shipped next to this module. */
const runtime = (() => {
  let files: {program: string; launcher: string} | undefined
  return () =>
    (files ??= {
      program: readFileSync(new URL('./runtime/http-load.php', import.meta.url), 'utf8'),
      launcher: readFileSync(new URL('./runtime/http-load.sh', import.meta.url), 'utf8'),
    })
})()

/** Time for PHP to start and the records to come back, on top of the load itself. */
const EXEC_MARGIN_MS = 30_000

/**
 * Load generated on the host by runtime/http-load.php (run by the first of `phpCandidates` the
 * host has), so the requests start where the site is and the link to fpmfix carries only the result.
 */
export async function runLoadOnHost(
  transport: Transport,
  target: HttpTarget,
  spec: LoadSpec,
  options: {host: string; phpCandidates: string[]},
): Promise<LoadSample> {
  const {program, launcher} = runtime()
  const args = [
    options.phpCandidates.join(' '),
    target.host,
    target.port,
    target.path,
    target.hostHeader,
    spec.concurrency,
    spec.requests ?? 0,
    spec.durationMs ?? 0,
    spec.timeoutMs,
  ]
  const result = await transport.exec(`sh -c ${shellQuote(launcher)} http-load ${shellJoin(args)}`, {
    stdin: program,
    // A count of requests alone has no natural end; the program's own per-request timeout keeps it moving.
    ...(spec.durationMs !== undefined ? {timeoutMs: spec.durationMs + spec.timeoutMs + EXEC_MARGIN_MS} : {}),
  })
  return parseLoadOutput(result.stdout, {host: options.host, stderr: result.stderr})
}
