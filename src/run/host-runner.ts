import {Listr, ListrLogger, ProcessOutput} from 'listr2'

import {type FpmfixError, toFpmfixError} from '../errors.js'
import type {HostTarget} from '../model/target.js'
import {StepTree, type StepSpec, type StepsOutcome} from './step-tree.js'

export type HostOutcome<T> =
  | {target: HostTarget; ok: true; value: T; durationMs: number}
  | {target: HostTarget; ok: false; error: FpmfixError; durationMs: number}

/** A host's outcome as the exit-code table reads it: ok, or failed with its error code. */
export function hostExit(outcome: HostOutcome<unknown>): {status: string; errorCode?: string} {
  return outcome.ok ? {status: 'ok'} : {status: 'failed', errorCode: outcome.error.code}
}

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
  work: (target: HostTarget, step: StepReporter, tree: StepTree | undefined) => Promise<T>,
  options: RunHostsOptions & {
    /** Show these steps as subtasks of the host, and how the host's result maps onto them. */
    steps?: (target: HostTarget) => {steps: StepSpec[]; outcome: (value: T) => StepsOutcome} | undefined
  },
): Promise<HostOutcome<T>[]> {
  const outcomes = new Array<HostOutcome<T>>(targets.length)
  const stderr = new ProcessOutput(process.stderr, process.stderr)
  const renderer = options.progress === 'tty' ? 'default' : options.progress === 'lines' ? 'simple' : 'silent'
  const list = new Listr(
    targets.map((target, index) => ({
      title: target.name,
      task: async (
        _ctx: unknown,
        task: {output: string; title: string; newListr: (tasks: never, options: object) => unknown},
      ) => {
        const started = performance.now()
        let plan: ReturnType<NonNullable<typeof options.steps>>
        try {
          plan = options.steps?.(target)
        } catch {
          // A host whose steps cannot be listed still runs; its work reports the real error.
          plan = undefined
        }
        // Plain lines from hosts running side by side need the host's name on each step.
        const steps =
          options.progress === 'lines'
            ? plan?.steps.map((step) => ({...step, title: `${target.name}: ${step.title}`}))
            : plan?.steps
        const tree = steps === undefined ? undefined : new StepTree(steps)
        const running = (async () => {
          try {
            // Piped lines from hosts running side by side name their host.
            const report =
              options.progress === 'lines'
                ? (step: string) => void (tree === undefined && (task.output = `${target.name}: ${step}`))
                : (step: string) => void (tree === undefined && (task.output = step))
            const value = await work(target, report, tree)
            outcomes[index] = {target, ok: true, value, durationMs: performance.now() - started}
            tree?.finish(plan!.outcome(value))
          } catch (error) {
            const failure = toFpmfixError(error)
            outcomes[index] = {target, ok: false, error: failure, durationMs: performance.now() - started}
            tree?.finish({failedStep: plan!.steps[0]?.name, message: failure.message})
            throw new Error(`${target.name}: ${failure.message}`)
          }
        })()
        if (tree === undefined) return running
        // The host's own promise settles the subtasks; its rejection is reported through them.
        running.catch(() => undefined)
        return task.newListr(tree.tasks() as never, {concurrent: false, exitOnError: true})
      },
    })),
    {
      concurrent: Math.max(1, options.forks),
      exitOnError: false,
      // Ctrl-C is the command's to handle (exit 130, and say what happens to the hosts).
      registerSignalListeners: false,
      renderer,
      fallbackRenderer: 'simple',
      rendererOptions: {logger: new ListrLogger({processOutput: stderr})},
      fallbackRendererOptions: {logger: new ListrLogger({processOutput: stderr})},
    },
  )
  await list.run()
  return outcomes
}
