import {spawn, spawnSync} from 'node:child_process'

/**
 * The POSIX shells host programs must run under, as installed here (busybox is installed in CI).
 * bash skips ~/.bashrc, which it would read when its stdin is a socket (as node pipes are).
 */
export const SHELLS: string[][] = [['dash'], ['bash', '--posix', '--norc'], ['busybox', 'sh']].filter(
  ([shell]) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0,
)

/** Where a shell is, so a test can run it with a PATH that does not hold it. */
function shellPath(shell: string): string {
  return (
    spawnSync('sh', ['-c', `command -v ${shell}`])
      .stdout.toString()
      .trim() || shell
  )
}

export interface ShellRun {
  status: number | null
  stdout: string
  stderr: string
}

/** Run a program under one shell with LC_ALL=C, optionally feeding stdin. */
export function runUnder(
  shell: string[],
  program: string,
  options: {stdin?: string; env?: Record<string, string>} = {},
): Promise<ShellRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(shellPath(shell[0]!), [...shell.slice(1), '-c', program], {
      env: {PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C', ...options.env},
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    child.once('error', reject)
    child.once('close', (status) => resolve({status, stdout, stderr}))
    // A program may exit without reading its stdin.
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.stdin ?? '')
  })
}
