import {FpmfixError, isFpmfixError} from '../errors.js'
import type {HostSnapshot} from '../model/snapshot.js'
import {newBoundary} from '../protocol/boundary.js'
import type {Transport} from '../transport/transport.js'
import {parseGatherOutput} from './parse-gather-output.js'
import {buildGatherScript} from './script.js'

export interface GatherOptions {
  /** Kill the gather after this long (default 120 s). */
  timeoutMs?: number
  /** Host name for error messages. */
  host?: string
  /** fpmfix's state directory on the host, whose journal the gather reads (default /var/lib/fpmfix). */
  stateDir?: string
}

const DEFAULT_TIMEOUT_MS = 120_000
const STDERR_WARNING_LINES = 20

/** Read the whole host in one exec: the script goes in on stdin, sections come back on stdout. */
export async function gather(transport: Transport, options: GatherOptions = {}): Promise<HostSnapshot> {
  const boundary = newBoundary()
  const result = await transport.exec('sh -s', {
    stdin: buildGatherScript(boundary, options.stateDir),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  })
  if (!result.stdout.includes(`${boundary} BEGIN `)) {
    throw new FpmfixError(
      'GATHER_FAILED',
      `the gather script produced no output (exit ${result.code ?? result.signal})`,
      {
        host: options.host,
        hint: 'Check that the login user can run /bin/sh; the script stderr is in the error details.',
        details: {code: result.code, signal: result.signal, stderr: result.stderr.slice(0, 4000)},
      },
    )
  }
  let snapshot: HostSnapshot
  try {
    snapshot = parseGatherOutput(result.stdout, boundary)
  } catch (error) {
    if (isFpmfixError(error) && options.host !== undefined) {
      const {exit, hint, details} = error
      throw new FpmfixError(error.code, error.message, {exit, hint, details, host: options.host, cause: error})
    }
    throw error
  }
  const stderrLines = result.stderr.split('\n').filter((line) => line.trim() !== '')
  for (const line of stderrLines.slice(0, STDERR_WARNING_LINES)) snapshot.warnings.push(`gather stderr: ${line}`)
  if (result.code !== 0) snapshot.warnings.push(`the gather script exited with ${result.code ?? result.signal}`)
  snapshot.durationMs = result.durationMs
  if (snapshot.collectedAt === '') snapshot.collectedAt = new Date().toISOString()
  return snapshot
}
