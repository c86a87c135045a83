import {setTimeout as sleep} from 'node:timers/promises'
import type {ApplyOptions} from '../../src/apply/index.js'
import {buildTxSpec, startTransaction} from '../../src/apply/index.js'
import type {Fingerprint, FileChange, HostPlan, ServiceAction} from '../../src/model/plan.js'
import {readStateFingerprints} from '../../src/plan/state-fingerprints.js'
import {createLocalTransport} from '../../src/transport/local.js'
import type {Transport} from '../../src/transport/transport.js'
import {shellJoin, shellQuote} from '../../src/util/shell-quote.js'
import {fileChange, hostPlan as planOf} from '../support/plan-document.js'
import {FPM_SERVICE, FPM_SOCKET, type LabHost} from './lab/index.js'

export {sha256} from '../support/plan-document.js'

export const FPM_INSTALL = '/usr/sbin/php-fpm8.2'
export const FPM_MAIN_CONFIG = '/etc/php/8.2/fpm/php-fpm.conf'
export const JOURNAL = '/var/lib/fpmfix/journal'
export const LOCK_DIR = '/var/lib/fpmfix/lock'

/** The local transport, entering the lab host's namespaces with nsenter for every command. */
export function nsenterTransport(host: LabHost): Transport {
  const local = createLocalTransport()
  return {
    kind: 'local',
    exec: (command, options) =>
      local.exec(shellJoin(['nsenter', '-t', host.hostPid, '-m', '-p', '-u', '--', 'sh', '-c', command]), options),
    close: () => local.close(),
  }
}

export interface FileFacts {
  sha: string
  mode: string
  owner: string
  inode: string
  symlink: boolean
}

/** sha256, mode, uid:gid and inode of a file (following symlinks), and whether the path itself is a symlink. */
export async function fileFacts(host: LabHost, path: string): Promise<FileFacts> {
  const q = shellQuote(path)
  const {stdout} = await host.exec(
    `sha256sum < ${q} | cut -d' ' -f1; stat -L -c '%a %u:%g %i' -- ${q}; if [ -L ${q} ]; then echo link; else echo file; fi`,
  )
  const [sha = '', stat = '', kind = ''] = stdout.trim().split('\n')
  const [mode = '', owner = '', inode = ''] = stat.split(' ')
  return {sha, mode, owner, inode, symlink: kind === 'link'}
}

/** A whole-file change computed from the file's current bytes on the host, as the plan side does. */
export async function changeFile(
  host: LabHost,
  path: string,
  edit: (text: string) => string,
  viaSymlink?: string,
): Promise<FileChange> {
  const before = await host.readFile(path)
  return fileChange(path, before, edit(before), viaSymlink)
}

export function fileFingerprint(change: FileChange): Fingerprint {
  return {kind: 'file', key: change.path, sha256: change.beforeSha256}
}

/** A state fingerprint read the way a plan reads it, with the function the transaction re-runs. */
export async function stateFingerprint(transport: Transport, key: string): Promise<Fingerprint> {
  const [fingerprint] = await readStateFingerprints(transport, [key])
  return fingerprint!
}

export function hostPlan(
  host: LabHost,
  changes: FileChange[],
  actions: ServiceAction[],
  fingerprints: Fingerprint[],
): HostPlan {
  return planOf({name: host.name, address: '127.0.0.1'}, {changes, actions, fingerprints})
}

export function fpmAction(action: ServiceAction['action']): ServiceAction {
  return {target: {kind: 'php-fpm', install: FPM_INSTALL}, service: FPM_SERVICE, action, reason: 'lab test'}
}

export function nginxAction(action: ServiceAction['action']): ServiceAction {
  return {target: {kind: 'nginx'}, service: 'nginx', action, reason: 'lab test'}
}

/** What the plan side would pass for the lab's stock www pool and site. */
export function labApplyOptions(host: LabHost, probePath = '/index.php'): ApplyOptions {
  return {
    owner: 'tester@lab-client',
    fpm: {
      [FPM_INSTALL]: {
        mainConfig: FPM_MAIN_CONFIG,
        expect: [{socket: {path: FPM_SOCKET, owner: 'www-data', group: 'www-data', mode: '0660'}}],
      },
    },
    probes: {http: [{url: `http://127.0.0.1:${host.httpPort}${probePath}`}]},
  }
}

export interface ServicePids {
  fpmMaster: string
  fpmWorkers: string[]
  nginxMaster: string
  nginxWorkers: string[]
}

export async function servicePids(host: LabHost): Promise<ServicePids> {
  const {stdout} = await host.exec('ps -eo pid=,ppid=,args=')
  const rows = stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*?)\s*$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
  const master = (prefix: string): string => rows.find((row) => row[3]!.startsWith(prefix))?.[1] ?? ''
  const fpmMaster = master('php-fpm: master process')
  const nginxMaster = master('nginx: master process')
  return {
    fpmMaster,
    fpmWorkers: rows.filter((row) => row[2] === fpmMaster).map((row) => row[1]!),
    nginxMaster,
    nginxWorkers: rows
      .filter((row) => row[2] === nginxMaster && row[3] === 'nginx: worker process')
      .map((row) => row[1]!),
  }
}

/** Lines of a transaction's journal file on the host. */
export async function journalFile(host: LabHost, txid: string, name: string): Promise<string> {
  return (await host.exec(`cat ${shellQuote(`${JOURNAL}/${txid}/${name}`)} 2>/dev/null`, {allowFail: true})).stdout
}

/** The last transaction that took the host lock. */
export async function newestTxid(host: LabHost): Promise<string> {
  return (await host.exec(`tail -n 1 ${JOURNAL}/.sequence 2>/dev/null`, {allowFail: true})).stdout.trim()
}

/** Wait until a transaction's state lines satisfy `predicate`: the given one, or the next one to take the lock after `after`. */
export async function waitForJournal(
  host: LabHost,
  predicate: (state: string[]) => boolean,
  which: {txid?: string; after?: string},
  timeoutMs = 60_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const id = which.txid ?? (await newestTxid(host))
    if (id && (which.after === undefined || id !== which.after)) {
      const state = (await journalFile(host, id, 'state')).split('\n').filter(Boolean)
      if (predicate(state)) return id
    }
    if (Date.now() > deadline)
      throw new Error(`journal of ${which.txid ?? 'the next transaction'} never reached the awaited state`)
    await sleep(100)
  }
}

export async function lockExists(host: LabHost): Promise<boolean> {
  return (await host.exec(`test -d ${LOCK_DIR}`, {allowFail: true})).code === 0
}

/** Ship and start a transaction the way applyHostPlan does, without following it (a client that went away). */
export async function startDetached(transport: Transport, plan: HostPlan, options: ApplyOptions): Promise<string> {
  const spec = buildTxSpec(plan, options)
  await startTransaction(transport, spec)
  return spec.txid
}

export async function transactionPid(host: LabHost, txid: string): Promise<number> {
  return Number.parseInt(await journalFile(host, txid, 'pid'), 10)
}
