import {readFileSync} from 'node:fs'

/** Alive means it exists and is not a zombie (a zombie holds no resources and runs nothing). */
export function isProcessAlive(pid: number): boolean {
  const state = processState(pid)
  return state !== undefined && state !== 'Z' && state !== 'X'
}

/** The state letter from /proc/<pid>/stat (R, S, D, Z, …), or undefined when the pid does not exist. */
export function processState(pid: number): string | undefined {
  const stat = readProcFile(pid, 'stat')
  if (stat === undefined) return undefined
  // The command name is in parentheses and may itself contain ") ".
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
}

export function processCommandLine(pid: number): string[] {
  const raw = readProcFile(pid, 'cmdline')
  return raw === undefined ? [] : raw.split('\0').filter((word) => word !== '')
}

/** Send a signal, ignoring "no such process". */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

function readProcFile(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8')
  } catch {
    return undefined
  }
}
