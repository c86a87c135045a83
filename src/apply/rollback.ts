import {FpmfixError} from '../errors.js'
import {ABSENT} from '../model/plan.js'
import type {NginxOptions} from '../model/verification.js'
import {newBoundary} from '../protocol/boundary.js'
import {parseKeyValues, splitSections} from '../protocol/frames.js'
import {DEFAULT_STATE_DIR, isTxid, JOURNAL_LIBRARIES} from '../protocol/journal.js'
import {hostProgram} from '../protocol/host-program.js'
import type {Transport} from '../transport/transport.js'
import {runTransaction} from './run-apply.js'
import {
  checkHttpProbes,
  fastcgiProbeTarget,
  newTxid,
  normalizeExpectation,
  sha256Hex,
  transactionSettings,
  type ServiceVerb,
  type TxAction,
  type TxFile,
  type TxSpec,
  type TxValidation,
} from './tx-spec.js'
import type {ApplyOptions, ApplyResult, ServiceManagerKind} from './types.js'

/** What the journal keeps of the newest committed apply not undone yet (undo-source.sh). */
export interface UndoSource {
  txid: string
  /** manifest.json of that transaction, as text. */
  manifest: string
  /** Per action index: whether its service ran before the transaction. */
  ranBefore: Map<number, boolean>
  /** Per changed file, in the transaction's order. */
  files: Array<{real?: string; sha?: string; absent: boolean; written: boolean; backup?: Buffer}>
}

interface Manifest {
  txid: string
  owner?: string
  files: Array<{path: string; afterSha256: string}>
  actions: TxAction[]
  validations: TxValidation[]
  nginx?: NginxOptions
  serviceManager?: ServiceManagerKind
}

function parseUndoSource(stdout: string, boundary: string): UndoSource | undefined {
  const {sections} = splitSections(stdout, boundary)
  const txid = sections.find((section) => section.kind === 'undo')?.arg ?? ''
  if (txid === '') return undefined
  const source: UndoSource = {txid, manifest: '', ranBefore: new Map(), files: []}
  for (const section of sections) {
    const index = Number(section.tag)
    if (section.kind === 'manifest') source.manifest = section.content
    else if (section.kind === 'pre') {
      for (const [key, value] of parseKeyValues(section.content)) {
        const match = /^a(\d+)_running$/.exec(key)
        if (match) source.ranBefore.set(Number(match[1]), value !== '0')
      }
    } else if (section.kind === 'file' && Number.isInteger(index)) {
      const values = parseKeyValues(section.content)
      source.files[index] = {
        ...source.files[index],
        ...(values.has('real') ? {real: values.get('real')!} : {}),
        ...(values.has('sha') ? {sha: values.get('sha')!} : {}),
        absent: values.get('absent') === '1',
        written: values.get('written') === '1',
      }
    } else if (section.kind === 'orig' && Number.isInteger(index)) {
      source.files[index] = {
        absent: false,
        written: false,
        ...source.files[index],
        backup: Buffer.from(section.content.replace(/\s+/g, ''), 'base64'),
      }
    }
  }
  return source
}

function corrupt(txid: string, what: string): FpmfixError {
  return new FpmfixError('ROLLBACK_FAILED', `the journal of transaction ${txid} is damaged: ${what}`, {
    hint: 'Restore the files by hand from the backups under /var/lib/fpmfix/journal on the host.',
    details: {txid},
  })
}

function parseManifest(source: UndoSource): Manifest {
  let manifest: Manifest
  try {
    manifest = JSON.parse(source.manifest) as Manifest
  } catch {
    throw corrupt(source.txid, 'manifest.json is not JSON')
  }
  if (!Array.isArray(manifest.files) || !Array.isArray(manifest.actions) || !Array.isArray(manifest.validations)) {
    throw corrupt(source.txid, 'manifest.json lacks files, actions or validations')
  }
  return manifest
}

/** The verb that puts a service back: stopped again if the transaction started it, started again if it stopped it. */
function undoVerb(verb: ServiceVerb, wasRunning: boolean): ServiceVerb {
  if (!wasRunning) return 'stop'
  if (verb === 'stop') return 'start'
  return verb === 'start' ? 'restart' : verb
}

export interface RollbackOptions extends ApplyOptions {
  /** Host name for messages. */
  host?: string
  /** Roll back only this transaction: refuse when the newest committed apply is another one. */
  expectTxid?: string
}

/** The transaction that undoes `source`: its backups written back over what it wrote, its services put back. */
export function buildUndoSpec(source: UndoSource, options: RollbackOptions, txid: string = newTxid()): TxSpec {
  if (!isTxid(source.txid)) throw corrupt(source.txid || '?', 'no transaction id')
  const manifest = parseManifest(source)
  const files: TxFile[] = manifest.files.map((entry, index) => {
    const backup = source.files[index]
    if (!backup?.real || !backup.sha) throw corrupt(source.txid, `no backup record for ${entry.path}`)
    const after = backup.absent ? null : (backup.backup ?? Buffer.alloc(0))
    if (after !== null && sha256Hex(after) !== backup.sha)
      throw corrupt(source.txid, `the backup of ${backup.real} does not match its recorded sha256`)
    return {
      path: backup.real,
      after,
      afterSha256: backup.absent ? ABSENT : backup.sha,
      beforeSha256: entry.afterSha256,
      check: index,
    }
  })
  // Last done, first undone: a stopped old version runs again before nginx goes back to it, and
  // the pools nginx was moved to go only once it has left them.
  const actions: TxAction[] = manifest.actions
    .map((action, index): TxAction => {
      const verb = undoVerb(action.verb, source.ranBefore.get(index) !== false)
      const expect =
        action.kind === 'php-fpm' ? (options.fpm?.[action.binary]?.expect ?? []).map(normalizeExpectation) : []
      // The apply's gates probed what it brought up; an undo has only the probes it is given.
      const {gate: _gate, ...kept} = action
      return {...kept, verb, expect, label: `${verb} ${action.service}`}
    })
    .reverse()
  const serviceManager = options.serviceManager ?? manifest.serviceManager
  return {
    txid,
    kind: 'undo',
    undoes: source.txid,
    host: options.host ?? 'this host',
    ...transactionSettings(options),
    files,
    actions,
    checks: files.map((file) => ({kind: 'file', key: file.path, sha256: file.beforeSha256})),
    validations: manifest.validations,
    nginx: options.nginx ?? manifest.nginx ?? {},
    fastcgiProbes: (options.probes?.fastcgi ?? []).map((probe) => fastcgiProbeTarget(probe, txid)),
    httpProbes: checkHttpProbes(options.probes?.http ?? []),
    ...(serviceManager ? {serviceManager} : {}),
  }
}

/** The newest committed apply on this host that was not undone yet, as its journal keeps it; undefined when none. */
export async function readUndoSource(
  transport: Transport,
  options: {stateDir?: string} = {},
): Promise<UndoSource | undefined> {
  const boundary = newBoundary()
  const program = hostProgram([...JOURNAL_LIBRARIES, 'apply/runtime/undo-source.sh'], {
    B: boundary,
    STATE_DIR: options.stateDir ?? DEFAULT_STATE_DIR,
  })
  const read = await transport.exec(program, {timeoutMs: 60_000})
  if (read.code !== 0 || !splitSections(read.stdout, boundary).sections.some((section) => section.kind === 'undo')) {
    throw new FpmfixError('ROLLBACK_FAILED', `cannot read the journal: ${read.stderr.trim() || `exit ${read.code}`}`, {
      hint: 'Check that fpmfix can become root on this host.',
    })
  }
  return parseUndoSource(read.stdout, boundary)
}

/** What a rollback would do, for the operator to confirm: the transaction, the files it restores, the services. */
export interface RollbackPreview {
  txid: string
  owner?: string
  files: string[]
  actions: string[]
}

export async function previewRollback(
  transport: Transport,
  options: RollbackOptions = {},
): Promise<RollbackPreview | undefined> {
  const source = await readUndoSource(transport, options)
  if (source === undefined) return undefined
  const manifest = parseManifest(source)
  const spec = buildUndoSpec(source, options)
  return {
    txid: source.txid,
    ...(manifest.owner ? {owner: manifest.owner} : {}),
    files: spec.files.map((file) => file.path),
    actions: spec.actions.map((action) => action.label),
  }
}

export function nothingToRollBack(): ApplyResult {
  return {status: 'unchanged', steps: [], note: 'no committed transaction to roll back on this host'}
}

/**
 * Undo the newest committed apply on this host, as a transaction of its own: the files must
 * still be what that apply wrote (else refused as stale), the backups go back with their
 * metadata, the services are put back in the reverse order (reloaded/restarted, started again if
 * the apply stopped them, stopped again if it started them), and a failure rolls the undo back.
 */
export async function rollbackLast(transport: Transport, options: RollbackOptions = {}): Promise<ApplyResult> {
  const source = await readUndoSource(transport, options)
  if (source === undefined) return nothingToRollBack()
  if (options.expectTxid !== undefined && source.txid !== options.expectTxid) {
    throw new FpmfixError(
      'PLAN_STALE',
      `the last applied transaction is now ${source.txid}, not ${options.expectTxid} as confirmed`,
      {host: options.host, hint: 'Run fpmfix rollback again to see what it would restore now.'},
    )
  }
  const spec = buildUndoSpec(source, options)
  const result = await runTransaction(transport, spec, options)
  const restored = spec.files.map((file) => file.path)
  const note =
    result.status === 'undone'
      ? `rolled back transaction ${spec.undoes}: restored ${restored.join(', ') || 'no files'}`
      : `rollback of transaction ${spec.undoes}`
  return {...result, undid: spec.undoes!, note}
}
