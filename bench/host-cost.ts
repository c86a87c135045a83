/**
 * What a read costs the host it runs on, measured inside a lab host: the processes a command
 * starts (strace -f) and the CPU time every process of the host used (/proc accounting).
 */
import type {LabHost} from '../test/lab/lab/index.js'

export interface ProcessCount {
  /** Every process of the run, its own shell included. */
  processes: number
  /** Programs executed (successful execve). */
  programs: number
  /** Programs by name, most run first. */
  byProgram: Array<[string, number]>
}

/** Run `sh -s` with `script` on stdin under strace -f inside the host and count what it started. */
export async function countProcesses(host: LabHost, script: string): Promise<ProcessCount> {
  const trace = '/tmp/bench-trace'
  await host.exec(
    `strace -f -qq -e trace=execve,clone,clone3,fork,vfork -e signal=none -o ${trace} sh -s >/dev/null 2>&1; true`,
    {stdin: script, timeoutMs: 120_000},
  )
  const text = await host.readFile(trace)
  const pids = new Set<string>()
  const pending = new Map<string, string>()
  const programs: string[] = []
  for (const line of text.split('\n')) {
    const match = /^(\d+)\s+(.*)$/.exec(line)
    if (match === null) continue
    const [, pid = '', call = ''] = match
    pids.add(pid)
    const exec = /^execve\("([^"]*)"/.exec(call)
    if (exec !== null) {
      if (/= 0$/.test(call)) programs.push(exec[1] ?? '')
      else if (call.endsWith('<unfinished ...>')) pending.set(pid, exec[1] ?? '')
    } else if (/^<\.\.\. execve resumed>.*= 0$/.test(call) && pending.has(pid)) {
      programs.push(pending.get(pid) ?? '')
      pending.delete(pid)
    }
  }
  const counts = new Map<string, number>()
  for (const program of programs) {
    const name = program.slice(program.lastIndexOf('/') + 1)
    counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  return {
    processes: pids.size,
    programs: programs.length,
    byProgram: [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
  }
}

const TICKS_PER_SECOND = 100

/**
 * CPU seconds every process of the host has used so far: each live process's own time plus its
 * reaped children's (a finished SSH session is reaped by sshd, an orphan by pid 1). The reading
 * command runs from outside, so its own time never lands on a process of the host.
 */
export async function hostCpuSeconds(host: LabHost): Promise<number> {
  const {stdout} = await host.exec('cat /proc/[0-9]*/stat 2>/dev/null', {allowFail: true})
  let ticks = 0
  for (const line of stdout.split('\n')) {
    const fields = line.slice(line.lastIndexOf(')') + 2).split(' ')
    // utime, stime, cutime, cstime: fields 14-17 of /proc/PID/stat, 12-15 after "pid (comm) ".
    ticks += [11, 12, 13, 14].reduce((sum, index) => sum + (Number(fields[index]) || 0), 0)
  }
  return ticks / TICKS_PER_SECOND
}

/** Host CPU seconds per run of `run`, over `count` runs one after the other. */
export async function hostCpuPerRun(host: LabHost, count: number, run: () => Promise<void>): Promise<number> {
  const before = await hostCpuSeconds(host)
  for (let index = 0; index < count; index++) await run()
  return ((await hostCpuSeconds(host)) - before) / count
}

/** CPU seconds of `count` runs of a script inside the host (the shell and everything it starts), per run. */
export async function scriptCpuPerRun(host: LabHost, script: string, count: number): Promise<number> {
  await host.writeFile('/tmp/bench-script.sh', script)
  const loop = `i=0; while [ $i -lt ${count} ]; do sh /tmp/bench-script.sh >/dev/null 2>&1; i=$((i + 1)); done`
  const {stdout} = await host.exec(`/usr/bin/time -f '%U %S' -o /tmp/bench-time sh -c '${loop}'; cat /tmp/bench-time`, {
    timeoutMs: 600_000,
  })
  const [user = 0, system = 0] = stdout.trim().split(/\s+/).map(Number)
  return (user + system) / count
}
