import {gather} from '../../src/gather/index.js'
import type {HostPlan} from '../../src/model/plan.js'
import {DEFAULT_POLICY} from '../../src/model/policy.js'
import type {HostSnapshot, ServiceState} from '../../src/model/snapshot.js'
import type {HostTarget} from '../../src/model/target.js'
import {planFromSnapshot} from '../../src/plan/plan-from-snapshot.js'
import {newBoundary} from '../../src/protocol/boundary.js'
import type {Transport} from '../../src/transport/transport.js'
import {gatherScriptV1, parseGatherOutputV1} from './gather-v1/index.js'

/*
 * The gather before and after it became static sh files, run one after the other on the same
 * host and compared. Only what changes between two runs, or what the new gather deliberately
 * no longer collects, is set aside:
 * - when each ran, how long it took, the script version;
 * - memory, load and each process's RSS/PSS (taken from the first run for both);
 * - process ages: `ps -o etimes` before, /proc/PID/stat now (within 2 s, once the time between
 *   the two runs is allowed for); BusyBox ps had none;
 * - the gather's own processes in the process table;
 * - `service NAME status` output and exit code (init scripts are no longer run);
 * - on a shared network (lab hosts), listeners no process of this host owns (other hosts');
 * - the time stamps of php-fpm -tt output, and in php-fpm's log the lines each gather's -tt
 *   appends to it (php-fpm logs its config test there too), with the log's size;
 * - the version line: `php-fpm -n -v`'s first line before, the version the binary carries
 *   (`PHP 8.2.36`, read without starting PHP) now, which must be where that line starts;
 * - the state lines and the journal status, which only the new gather reads (checked apart,
 *   against what the host protocol's own readers print).
 */

const FPM_STAMP = /^\[\d{2}-[A-Za-z]{3}-\d{4} \d{2}:\d{2}:\d{2}(?:\.\d+)?\] /gm

/** php-fpm -tt output without its time stamps, line by line. */
function ttLines(snapshot: HostSnapshot): string[] {
  return snapshot.fpmInstalls.flatMap((install) => install.tt.output.replace(FPM_STAMP, '').split('\n'))
}

export interface GatherPair {
  before: HostSnapshot
  after: HostSnapshot
}

/** Gather the host with the version 1 script, then with the current one. */
export async function gatherBoth(transport: Transport): Promise<GatherPair> {
  const boundary = newBoundary()
  const result = await transport.exec('sh -s', {stdin: gatherScriptV1(boundary), timeoutMs: 120_000})
  const before = parseGatherOutputV1(result.stdout, boundary)
  const after = await gather(transport, {timeoutMs: 120_000})
  return {before, after}
}

function withoutStatusCommand(service: ServiceState): ServiceState {
  const {statusCode: _code, statusOutput: _output, ...rest} = service
  return rest
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

export interface NormalizeOptions {
  /** The host shares its network with others: keep only listeners this host's processes own. */
  sharedNetwork?: boolean
}

/** Both snapshots with what may differ between two runs made equal or set aside (see above). */
export function normalizePair(pair: GatherPair, options: NormalizeOptions = {}): GatherPair {
  const before = clone(pair.before)
  const after = clone(pair.after)
  const between = Math.round((Date.parse(after.collectedAt) - Date.parse(before.collectedAt)) / 1000)
  for (const snapshot of [before, after]) {
    snapshot.scriptVersion = 0
    snapshot.collectedAt = ''
    delete snapshot.localTime
    delete snapshot.durationMs
    snapshot.services = snapshot.services.map(withoutStatusCommand)
    if (snapshot.nginx.present) snapshot.nginx.service = withoutStatusCommand(snapshot.nginx.service)
    for (const install of snapshot.fpmInstalls) install.service = withoutStatusCommand(install.service)
    snapshot.warnings = snapshot.warnings.filter((warning) => !warning.startsWith('gather stderr:'))
  }
  after.memory = before.memory
  after.loadAverage = before.loadAverage
  delete after.states
  delete after.journal
  for (const [index, install] of after.fpmInstalls.entries()) {
    const old = before.fpmInstalls[index]
    if (old?.version !== undefined && install.version !== undefined && old.version.startsWith(`${install.version} (`))
      old.version = install.version
  }
  const configTest = new Set([...ttLines(before), ...ttLines(after)].filter((line) => line !== ''))
  for (const snapshot of [before, after]) {
    for (const install of snapshot.fpmInstalls) install.tt.output = install.tt.output.replace(FPM_STAMP, '[time] ')
    for (const log of snapshot.logs.filter((candidate) => candidate.source === 'fpm')) {
      delete log.size
      log.text = log.text
        ?.split('\n')
        .filter((line) => line !== '' && !configTest.has(line.replace(FPM_STAMP, '')))
        .join('\n')
    }
  }

  const earlier = new Map(before.processes.map((process) => [process.pid, process]))
  const sameProcess = (process: HostSnapshot['processes'][number]): void => {
    const old = earlier.get(process.pid)
    if (old === undefined) return
    process.rssKb = old.rssKb
    process.pssKb = old.pssKb
    if (old.elapsedSeconds === undefined) delete process.elapsedSeconds
    else if (
      process.elapsedSeconds !== undefined &&
      Math.abs(process.elapsedSeconds - between - old.elapsedSeconds) <= 2
    )
      process.elapsedSeconds = old.elapsedSeconds
  }
  after.processes.forEach(sameProcess)
  if (after.nginx.present) after.nginx.processes.forEach(sameProcess)
  for (const install of after.fpmInstalls) install.processes.forEach(sameProcess)

  const beforeRows = new Map(before.processTable.map((row) => [row.pid, row]))
  const afterPids = new Set(after.processTable.map((row) => row.pid))
  before.processTable = before.processTable.filter((row) => afterPids.has(row.pid))
  after.processTable = after.processTable
    .filter((row) => beforeRows.has(row.pid))
    .map((row) => ({...row, rssKb: beforeRows.get(row.pid)!.rssKb}))

  if (options.sharedNetwork === true) {
    for (const snapshot of [before, after]) {
      const own = new Set(snapshot.processes.filter((process) => !process.otherNamespace).map((process) => process.pid))
      const owned = <T extends {processes: Array<{pid: number}>}>(listener: T): boolean =>
        listener.processes.some((owner) => own.has(owner.pid))
      snapshot.listeners.unix = snapshot.listeners.unix.filter(owned)
      snapshot.listeners.tcp = snapshot.listeners.tcp.filter(owned)
    }
  }
  const queues = new Map(before.listeners.unix.map((listener) => [listener.inode, listener.recvQ]))
  for (const listener of after.listeners.unix) listener.recvQ = queues.get(listener.inode) ?? listener.recvQ
  return {before, after}
}

const TARGET: HostTarget = {name: 'compared', connection: 'ssh', address: '127.0.0.1', vars: {}}

/** The plan each snapshot leads to. */
export function planPair(pair: GatherPair): {before: HostPlan; after: HostPlan} {
  return {
    before: planFromSnapshot(TARGET, pair.before, {policy: DEFAULT_POLICY}).plan,
    after: planFromSnapshot(TARGET, pair.after, {policy: DEFAULT_POLICY}).plan,
  }
}
