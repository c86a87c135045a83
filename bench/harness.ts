/** What every benchmark does around its measurements: read whole-number flags, build, run a lab and always stop it. */
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'

import {type Lab, type LabOptions, startLab} from '../test/lab/lab/index.js'
import {REPO_ROOT} from '../test/lab/support/run-cli.js'

/** The value of `--name` as a whole number from `min` to `max`, or an error saying what it takes. */
export function integerOption(name: string, text: string, min: number, max: number): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}, not ${text}`)
  return value
}

/** The benchmarks drive the built CLI: `npm run build` first, unless --skip-build. */
export async function buildUnlessSkipped(build: boolean): Promise<void> {
  if (!build) return
  process.stderr.write('building (npm run build)…\n')
  await promisify(execFile)('npm', ['run', 'build'], {cwd: REPO_ROOT})
}

/** Start a lab, run `body` on it, and stop the lab afterwards, on Ctrl-C too (then exit 130). */
export async function withLab<T>(options: LabOptions, body: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await startLab(options)
  const stopOnSignal = (): void => void lab.stop().finally(() => process.exit(130))
  process.once('SIGINT', stopOnSignal)
  try {
    return await body(lab)
  } finally {
    process.off('SIGINT', stopOnSignal)
    await lab.stop()
  }
}
