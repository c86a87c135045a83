import {hostFile, hostProgram} from '../protocol/host-program.js'
import type {Transport} from '../transport/transport.js'
import {shellQuote} from '../util/shell-quote.js'
import {parseLoadOutput} from './load-output.js'
import type {HttpTarget} from './load-here.js'
import type {LoadSample, LoadSpec} from './types.js'

/** Time for PHP to start and the records to come back, on top of the load itself. */
const EXEC_MARGIN_MS = 30_000

/**
 * Load generated on the host by runtime/http-load.php, run by the first of `phpCandidates` the
 * host has (runtime/http-load.sh picks it), so the requests start where the site is and the link
 * to fpmfix carries only the result.
 */
export async function runLoadOnHost(
  transport: Transport,
  target: HttpTarget,
  spec: LoadSpec,
  options: {host: string; phpCandidates: readonly string[]},
): Promise<LoadSample> {
  const launcher = hostProgram(['verify/runtime/http-load.sh'], {
    PHP_CANDIDATES: options.phpCandidates.join(' '),
    DIAL_HOST: target.host,
    PORT: String(target.port),
    REQUEST_PATH: target.path,
    HOST_HEADER: target.hostHeader,
    CONCURRENCY: String(spec.concurrency),
    REQUESTS: String(spec.requests ?? 0),
    DURATION_MS: String(spec.durationMs ?? 0),
    TIMEOUT_MS: String(spec.timeoutMs),
  })
  // The launcher goes on the command line: stdin carries the PHP program to the CLI it starts.
  const result = await transport.exec(`sh -c ${shellQuote(launcher)}`, {
    stdin: hostFile('verify/runtime/http-load.php'),
    // A count of requests alone has no natural end; the program's own per-request timeout keeps it moving.
    ...(spec.durationMs !== undefined ? {timeoutMs: spec.durationMs + spec.timeoutMs + EXEC_MARGIN_MS} : {}),
  })
  return parseLoadOutput(result.stdout, {host: options.host, stderr: result.stderr})
}
