import {setTimeout as sleep} from 'node:timers/promises'
import {LabError} from './lab-error.js'

export interface WaitOptions {
  timeoutMs: number
  intervalMs?: number
  /** What is awaited, for the timeout message ("sshd of lab1 on port 40001"). */
  what: string
  /** Extra context for the timeout message, e.g. log tails. */
  describeFailure?: () => Promise<string | undefined>
}

/**
 * Poll `check` until it returns something other than undefined or false. A check that throws
 * ends the wait at once (the thing awaited can no longer happen); a timeout throws LabError.
 */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() >= deadline) {
      const log = options.describeFailure ? await options.describeFailure().catch(() => undefined) : undefined
      throw new LabError(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`, {log})
    }
    await sleep(options.intervalMs ?? 50)
  }
}
