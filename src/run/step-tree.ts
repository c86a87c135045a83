/** One step a host goes through, shown as a subtask of the host. */
export interface StepSpec {
  name: string
  title: string
}

/** How a host's steps ended, once its work is done: every step passed, or one failed (the rest did not run). */
export interface StepsOutcome {
  /** Steps that passed without being reported (a final commit). */
  completed?: string[]
  /** The step that failed; one the tree does not list is shown on its last step. */
  failedStep?: string
  message?: string
}

type StepState = {kind: 'done'; ms?: number} | {kind: 'skipped'} | {kind: 'failed'; message: string}

/**
 * Subtasks that finish as a host reports its steps, in order. Steps the host never
 * reported are shown as skipped once its work ends; the failed one carries the error.
 */
export class StepTree {
  private readonly waiting = new Map<string, (state: StepState) => void>()
  private readonly states = new Map<string, StepState>()

  constructor(readonly steps: StepSpec[]) {}

  report(name: string, ms?: number): void {
    this.settle(name, {kind: 'done', ...(ms === undefined ? {} : {ms})})
  }

  finish(outcome: StepsOutcome): void {
    for (const name of outcome.completed ?? []) this.report(name)
    const listed = this.steps.some((step) => step.name === outcome.failedStep)
    const failed = outcome.failedStep === undefined ? undefined : listed ? outcome.failedStep : this.steps.at(-1)?.name
    for (const step of this.steps) {
      if (this.states.has(step.name)) continue
      this.settle(
        step.name,
        step.name === failed ? {kind: 'failed', message: outcome.message ?? 'failed'} : {kind: 'skipped'},
      )
    }
  }

  /** listr2 subtask definitions: each resolves when its step is reported. */
  tasks(): Array<{
    title: string
    task: (ctx: unknown, task: {title: string; skip: (message?: string) => void}) => Promise<void>
  }> {
    return this.steps.map((step) => ({
      title: step.title,
      task: async (_ctx, task) => {
        const state = await this.stateOf(step.name)
        if (state.kind === 'failed') throw new Error(`${step.title}: ${state.message}`)
        if (state.kind === 'skipped') task.skip(`${step.title} (not run)`)
        else if (state.ms !== undefined) task.title = `${step.title} (${state.ms} ms)`
      },
    }))
  }

  private stateOf(name: string): Promise<StepState> {
    const known = this.states.get(name)
    return known === undefined ? new Promise((resolve) => this.waiting.set(name, resolve)) : Promise.resolve(known)
  }

  private settle(name: string, state: StepState): void {
    if (this.states.has(name)) return
    this.states.set(name, state)
    this.waiting.get(name)?.(state)
  }
}
