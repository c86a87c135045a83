import {Listr, ListrLogger, ProcessOutput} from 'listr2'

import {type FpmfixError, toFpmfixError} from '../errors.js'
import type {HostTarget} from '../model/target.js'

export type HostOutcome<T> =
  | {target: HostTarget; ok: true; value: T; durationMs: number}
  | {target: HostTarget; ok: false; error: FpmfixError; durationMs: number}

/** Called by a host's work to say which step it is on; shown in the progress list. */
export type StepReporter = (step: string) => void

export interface RunHostsOptions {
  forks: number
  /** 'tty' draws a task list, 'lines' prints plain lines, 'silent' prints nothing (--json, --quiet). */
  progress: 'tty' | 'lines' | 'silent'
}

export function progressMode(options: {json: boolean; quiet: boolean}): RunHostsOptions['progress'] {
  if (options.json || options.quiet) return 'silent'
  return process.stderr.isTTY ? 'tty' : 'lines'
}

/**
 * Run `work` for every host, at most `forks` at a time. A failing host never stops
 * the others; every host gets an outcome, in the order the targets were given.
 */
export async function runHosts<T>(
  targets: HostTarget[],
  work: (target: HostTarget, step: StepReporter) => Promise<T>,
  options: RunHostsOptions,
): Promise<HostOutcome<T>[]> {
  const outcomes = new Array<HostOutcome<T>>(targets.length)
  const stderr = new ProcessOutput(process.stderr, process.stderr)
  const renderer = options.progress === 'tty' ? 'default' : options.progress === 'lines' ? 'simple' : 'silent'
  const list = new Listr(
    targets.map((target, index) => ({
      title: target.name,
      task: async (_ctx: unknown, task: {output: string; title: string}) => {
        const started = performance.now()
        try {
          const value = await work(target, (step) => {
            task.output = step
          })
          outcomes[index] = {target, ok: true, value, durationMs: performance.now() - started}
        } catch (error) {
          const failure = toFpmfixError(error)
          outcomes[index] = {target, ok: false, error: failure, durationMs: performance.now() - started}
          throw new Error(`${target.name}: ${failure.message}`)
        }
      },
    })),
    {
      concurrent: Math.max(1, options.forks),
      exitOnError: false,
      renderer,
      fallbackRenderer: 'simple',
      rendererOptions: {logger: new ListrLogger({processOutput: stderr})},
      fallbackRendererOptions: {logger: new ListrLogger({processOutput: stderr})},
    },
  )
  await list.run()
  return outcomes
}
