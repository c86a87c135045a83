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

type HostWork<T> = (target: HostTarget, step: StepReporter, tree: StepTree | undefined) => Promise<T>

interface HostTaskOptions<T> extends RunHostsOptions {
  /** Show these steps as subtasks of the host, and how the host's result maps onto them. */
  steps?: (target: HostTarget) => {steps: StepSpec[]; outcome: (value: T) => StepsOutcome} | undefined
}

/** Decides, between hosts, whether the next one may start (a rollout's health gate). */
export interface StartGate<T> {
  /** Why no host may start any more; undefined while hosts may. */
  closed(): string | undefined
  /** A host is starting. */
  started(): void
  /** A host of batch `batch` (1-based) ended. */
  ended(batch: number, outcome: HostOutcome<T>): void
}

/** A host a rollout never started: nothing was done on it, not even a connection. */
export interface NotStarted {
  target: HostTarget
  batch: number
  reason: string
}

export interface BatchRun<T> {
  /** Hosts that ran, in the order they were given. */
  outcomes: HostOutcome<T>[]
  notStarted: NotStarted[]
}

type ListrTask = {
  title: string
  task: (ctx: unknown, task: ListrTaskHandle) => Promise<unknown>
}
type ListrTaskHandle = {
  output: string
  title: string
  skip: (message?: string) => void
  newListr: (tasks: never, options: object) => unknown
}

/** One host as a listr2 task: runs `work`, records its outcome, and shows its steps as they complete. */
function hostTask<T>(
  target: HostTarget,
  work: HostWork<T>,
  options: HostTaskOptions<T>,
  done: (outcome: HostOutcome<T>) => void,
): ListrTask['task'] {
  return async (_ctx, task) => {
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
        done({target, ok: true, value, durationMs: performance.now() - started})
        tree?.finish(plan!.outcome(value))
      } catch (error) {
        const failure = toFpmfixError(error)
        done({target, ok: false, error: failure, durationMs: performance.now() - started})
        tree?.finish({failedStep: plan!.steps[0]?.name, message: failure.message})
        throw new Error(`${target.name}: ${failure.message}`)
      }
    })()
    if (tree === undefined) return running
    // The host's own promise settles the subtasks; its rejection is reported through them.
    running.catch(() => undefined)
    return task.newListr(tree.tasks() as never, {concurrent: false, exitOnError: true})
  }
}

/** A batch's hosts for its progress title: the first few by name, then how many more. */
function batchNames(batch: HostTarget[]): string {
  const shown = batch.slice(0, 4).map((target) => target.name)
  return batch.length > shown.length ? `${shown.join(', ')} and ${batch.length - shown.length} more` : shown.join(', ')
}

function listOptions(options: RunHostsOptions, concurrent: number): object {
  const stderr = new ProcessOutput(process.stderr, process.stderr)
  return {
    concurrent,
    exitOnError: false,
    // Ctrl-C is the command's to handle (exit 130, and say what happens to the hosts).
    registerSignalListeners: false,
    renderer: options.progress === 'tty' ? 'default' : options.progress === 'lines' ? 'simple' : 'silent',
    fallbackRenderer: 'simple',
    rendererOptions: {logger: new ListrLogger({processOutput: stderr})},
    fallbackRendererOptions: {logger: new ListrLogger({processOutput: stderr})},
  }
}

/**
 * Run `work` for every host, at most `forks` at a time. A failing host never stops
 * the others; every host gets an outcome, in the order the targets were given.
 */
export async function runHosts<T>(
  targets: HostTarget[],
  work: HostWork<T>,
  options: HostTaskOptions<T>,
): Promise<HostOutcome<T>[]> {
  return (await runBatches([targets], work, options)).outcomes
}

/**
 * Run `work` batch after batch: a batch starts once every host of the previous one has ended,
 * and runs at most `forks` hosts at a time. Before each batch and each host the gate may say
 * no: that host (and every later one) does not start and is reported with the gate's reason.
 * Progress shows one task per batch when there is more than one.
 */
export async function runBatches<T>(
  batches: HostTarget[][],
  work: HostWork<T>,
  options: HostTaskOptions<T> & {gate?: StartGate<T>},
): Promise<BatchRun<T>> {
  const slots = new Map<HostTarget, HostOutcome<T> | NotStarted>()
  const gate = options.gate
  /** A batch's hosts; `closing` hears the gate's reason when a host of this batch closed it. */
  const hostTasks = (batch: HostTarget[], number: number, closing?: (reason: string) => void): ListrTask[] =>
    batch.map((target) => ({
      title: target.name,
      task: async (ctx, task) => {
        const reason = gate?.closed()
        if (reason !== undefined) {
          slots.set(target, {target, batch: number, reason})
          task.skip(`${target.name}: not started (${reason})`)
          return
        }
        gate?.started()
        const run = hostTask(target, work, options, (outcome) => {
          slots.set(target, outcome)
          const wasOpen = gate?.closed() === undefined
          gate?.ended(number, outcome)
          const reason = gate?.closed()
          if (wasOpen && reason !== undefined) closing?.(reason)
        })
        return run(ctx, task)
      },
    }))
  const forks = Math.max(1, options.forks)
  const tasks: ListrTask[] =
    batches.length === 1
      ? hostTasks(batches[0]!, 1)
      : batches.map((batch, index) => {
          const title = `batch ${index + 1}/${batches.length}`
          return {
            title: `${title}: ${batchNames(batch)}`,
            task: async (_ctx, task) => {
              const reason = gate?.closed()
              if (reason === undefined) {
                const stopped = (why: string): void => void (task.title = `${title}: ${batchNames(batch)} (${why})`)
                return task.newListr(hostTasks(batch, index + 1, stopped) as never, listOptions(options, forks))
              }
              for (const target of batch) slots.set(target, {target, batch: index + 1, reason})
              task.skip(`${title} not started (${reason})`)
              return undefined
            },
          }
        })
  await new Listr(tasks as never, listOptions(options, batches.length === 1 ? forks : 1) as never).run()
  const outcomes: HostOutcome<T>[] = []
  const notStarted: NotStarted[] = []
  for (const target of batches.flat()) {
    const slot = slots.get(target)
    if (slot === undefined) continue
    if ('reason' in slot) notStarted.push(slot)
    else outcomes.push(slot)
  }
  return {outcomes, notStarted}
}
