import {FpmfixError} from '../errors.js'
import {LOAD_ERROR_KINDS, type LoadErrorKind, type LoadSample} from './types.js'

const HEADER = 'fpmfix-load 1'

/**
 * Read what runtime/http-load.php printed (its header comment describes the records). Unknown
 * records are skipped, so the program may add some; a run without its `end` record did not finish.
 */
export function parseLoadOutput(stdout: string, context: {host: string; stderr?: string}): LoadSample {
  const sample: LoadSample = {
    requests: 0,
    statuses: {},
    errors: {connect: 0, closed: 0, timeout: 0, protocol: 0},
    latencyUs: new Map(),
    elapsedMs: 0,
  }
  const lines = stdout.split('\n')
  const refusal = lines.find((line) => line.startsWith('fpmfix-load-error '))
  if (refusal !== undefined) {
    const message = refusal.replace(/^fpmfix-load-error \S+ /, '')
    throw new FpmfixError('VERIFY_LOAD_FAILED', message, {
      host: context.host,
      hint: 'Install the PHP CLI on the host (php-cli, phpX.Y-cli), or send the requests from here with --from-here.',
    })
  }
  let ended = false
  for (const line of lines) {
    const [record, first = '', second = ''] = line.split(' ')
    const count = Number(second)
    if (record === 'status' && /^\d{3}$/.test(first) && Number.isInteger(count)) {
      sample.statuses[first] = (sample.statuses[first] ?? 0) + count
    } else if (record === 'error' && LOAD_ERROR_KINDS.includes(first as LoadErrorKind) && Number.isInteger(count)) {
      sample.errors[first as LoadErrorKind] += count
    } else if (record === 'first-error') {
      sample.firstError = line.slice('first-error '.length)
    } else if (record === 'latency' && /^\d+$/.test(first) && Number.isInteger(count)) {
      sample.latencyUs.set(Number(first), (sample.latencyUs.get(Number(first)) ?? 0) + count)
    } else if (record === 'end' && /^\d+$/.test(first) && /^\d+$/.test(second)) {
      sample.requests = Number(first)
      sample.elapsedMs = Number(second) / 1000
      ended = true
    }
  }
  if (lines[0] !== HEADER || !ended) {
    const stderr = context.stderr?.trim() ?? ''
    const why = stderr.split('\n').at(-1)
    throw new FpmfixError('VERIFY_LOAD_FAILED', `the load program on the host did not finish${why ? `: ${why}` : ''}`, {
      host: context.host,
      hint: 'Its output is in the error details; send the requests from here with --from-here to compare.',
      details: {stdout: stdout.slice(-2000), stderr: stderr.slice(-2000)},
    })
  }
  return sample
}
