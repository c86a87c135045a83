import {Listr} from 'listr2'
import {describe, expect, it} from 'vitest'

import {StepTree} from '../../../src/run/step-tree.js'

const steps = [
  {name: 'lock', title: 'take the host lock'},
  {name: 'validate', title: 'nginx -t'},
  {name: 'action-0', title: 'reload nginx'},
  {name: 'commit', title: 'commit'},
]

async function run(tree: StepTree, drive: () => void): Promise<{titles: string[]; error?: string; skipped: boolean[]}> {
  const list = new Listr(tree.tasks() as never, {renderer: 'silent', exitOnError: true})
  drive()
  let error: string | undefined
  try {
    await list.run()
  } catch (failure) {
    error = (failure as Error).message
  }
  return {
    titles: list.tasks.map((task) => task.title ?? ''),
    skipped: list.tasks.map((task) => task.isSkipped()),
    ...(error === undefined ? {} : {error}),
  }
}

describe('a host step tree', () => {
  it('completes steps as the host reports them and a commit the result implies', async () => {
    const tree = new StepTree(steps)
    const result = await run(tree, () => {
      tree.report('lock', 10)
      tree.report('validate', 20)
      tree.report('action-0', 150)
      tree.finish({completed: ['commit']})
    })
    expect(result.error).toBeUndefined()
    expect(result.titles).toEqual(['take the host lock (10 ms)', 'nginx -t (20 ms)', 'reload nginx (150 ms)', 'commit'])
  })

  it('fails at the step that failed and leaves the rest as not run', async () => {
    const tree = new StepTree(steps)
    const result = await run(tree, () => {
      tree.report('lock', 10)
      tree.finish({failedStep: 'validate', message: 'rolled-back: nginx: [emerg] unexpected "}"'})
    })
    expect(result.error).toBe('nginx -t: rolled-back: nginx: [emerg] unexpected "}"')
    expect(result.titles[0]).toBe('take the host lock (10 ms)')
  })

  it('puts a failure it has no step for on the last step, and skips steps never reported', async () => {
    const tree = new StepTree(steps)
    const result = await run(tree, () => tree.finish({failedStep: 'signal-TERM', message: 'rolled-back'}))
    expect(result.error).toBe('commit: rolled-back')
    expect(result.skipped.slice(0, 3)).toEqual([true, true, true])
  })
})
