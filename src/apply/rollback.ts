import {FpmfixError} from '../errors.js'
import {ABSENT} from '../model/plan.js'
import type {Transport} from '../transport/transport.js'
import {shellQuote} from '../util/shell-quote.js'
import type {ServiceVerb} from './service-manager.js'
import {journalRoot} from './transaction-script.js'
import {newBoundary, parseKeyValues, SECTION_FUNCTION, splitSections} from './tx-report.js'
import {runTransaction} from './run-apply.js'
import {
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_SERVICE_TIMEOUT_MS,
  DEFAULT_STATE_DIR,
  defaultOwner,
  fastcgiProbeTarget,
  isTxid,
  newTxid,
  normalizeExpectation,
  sanitizeOwner,
  sha256Hex,
  type TxAction,
  type TxFile,
  type TxSpec,
  type TxValidation,
} from './tx-spec.js'
import type {ApplyOptions, ApplyResult, NginxOptions, ServiceManagerKind} from './types.js'

/** The journal of the newest committed apply that was not undone yet: its manifest, backups and pre-apply service states. */
function readLastCommittedCommand(root: string, boundary: string): string {
  return [
    'LC_ALL=C',
    'export LC_ALL',
    `J=${shellQuote(root)}`,
    `B=${shellQuote(boundary)}`,
    SECTION_FUNCTION,
    'found=',
    'for tx in $(awk \'{ line[NR] = $0 } END { for (i = NR; i > 0; i--) print line[i] }\' "$J/.sequence" 2>/dev/null); do',
    '  case $tx in *[!A-Za-z0-9-]*) continue ;; esac',
    '  [ "$(cat "$J/$tx/kind" 2>/dev/null)" = apply ] || continue',
    '  [ "$(tail -n 1 "$J/$tx/state" 2>/dev/null)" = committed ] || continue',
    '  [ -e "$J/$tx/undone-by" ] && continue',
    '  found=$tx',
    '  break',
    'done',
    '[ -n "$found" ] || { section none; exit 0; }',
    'T=$J/$found',
    'section txid; echo "$found"',
    'section manifest; cat "$T/manifest.json"',
    'section pre',
    'for f in "$T"/pre/a*.running; do [ -f "$f" ] && printf \'%s=%s\\n\' "${f##*/}" "$(cat "$f")"; done',
    'for d in "$T"/files/*; do',
    '  [ -d "$d" ] || continue',
    '  i=${d##*/}',
    '  section "file-$i"',
    '  printf \'real=%s\\n\' "$(cat "$d/real")"',
    '  printf \'sha=%s\\n\' "$(cat "$d/orig.sha")"',
    '  [ -f "$d/absent" ] && echo absent=1',
    '  [ -f "$d/written" ] && echo written=1',
    '  if [ -f "$d/orig" ]; then section "orig-$i"; base64 < "$d/orig" 2>/dev/null || openssl base64 < "$d/orig"; fi',
    'done',
    'section end',
  ].join('\n')
}

interface Manifest {
  txid: string
  files: Array<{path: string; afterSha256: string}>
  actions: TxAction[]
  validations: TxValidation[]
  nginx?: NginxOptions
  serviceManager?: ServiceManagerKind
}

function corrupt(txid: string, what: string): FpmfixError {
  return new FpmfixError('ROLLBACK_FAILED', `the journal of transaction ${txid} is damaged: ${what}`, {
    hint: 'Restore the files by hand from the backups under /var/lib/fpmfix/journal on the host.',
    details: {txid},
  })
}

/** The verb that puts a service back: a service the transaction started is stopped again. */
function undoVerb(verb: ServiceVerb, wasRunning: boolean): ServiceVerb {
  if (!wasRunning) return 'stop'
  return verb === 'start' ? 'restart' : verb
}

export interface RollbackOptions extends ApplyOptions {
  /** Host name for messages. */
  host?: string
}

export function buildUndoSpec(
  sections: Map<string, string>,
  options: RollbackOptions,
  txid: string = newTxid(),
): TxSpec {
  const undoes = (sections.get('txid') ?? '').trim()
  if (!isTxid(undoes)) throw corrupt(undoes || '?', 'no transaction id')
  let manifest: Manifest
  try {
    manifest = JSON.parse(sections.get('manifest') ?? '') as Manifest
  } catch {
    throw corrupt(undoes, 'manifest.json is not JSON')
  }
  if (!Array.isArray(manifest.files) || !Array.isArray(manifest.actions) || !Array.isArray(manifest.validations)) {
    throw corrupt(undoes, 'manifest.json lacks files, actions or validations')
  }
  const pre = parseKeyValues(sections.get('pre') ?? '')
  const files: TxFile[] = manifest.files.map((entry, index) => {
    const meta = parseKeyValues(sections.get(`file-${index}`) ?? '')
    const real = meta.get('real')
    const sha = meta.get('sha')
    if (!real || !sha) throw corrupt(undoes, `no backup record for ${entry.path}`)
    const absent = meta.get('absent') === '1'
    const after = absent ? null : Buffer.from((sections.get(`orig-${index}`) ?? '').replace(/\s+/g, ''), 'base64')
    if (after !== null && sha256Hex(after) !== sha)
      throw corrupt(undoes, `the backup of ${real} does not match its recorded sha256`)
    return {path: real, after, afterSha256: absent ? ABSENT : sha, beforeSha256: entry.afterSha256, check: index}
  })
  const actions: TxAction[] = manifest.actions.map((action, index) => {
    const wasRunning = pre.get(`a${index}.running`) !== '0'
    const verb = undoVerb(action.verb, wasRunning)
    const expect =
      action.kind === 'php-fpm' ? (options.fpm?.[action.binary]?.expect ?? []).map(normalizeExpectation) : []
    return {...action, verb, expect, label: `${verb} ${action.service}`}
  })
  const fastcgi = (options.probes?.fastcgi ?? []).map((probe) => fastcgiProbeTarget(probe, txid))
  const serviceManager = options.serviceManager ?? manifest.serviceManager
  return {
    txid,
    kind: 'undo',
    undoes,
    host: options.host ?? 'this host',
    owner: sanitizeOwner(options.owner ?? defaultOwner()),
    stateDir: options.stateDir ?? DEFAULT_STATE_DIR,
    files,
    actions,
    checks: files.map((file) => ({kind: 'file', key: file.path, sha256: file.beforeSha256})),
    validations: manifest.validations,
    nginx: options.nginx ?? manifest.nginx ?? {},
    fastcgiProbes: fastcgi,
    httpProbes: options.probes?.http ?? [],
    ...(serviceManager ? {serviceManager} : {}),
    serviceTimeoutMs: options.serviceTimeoutMs ?? DEFAULT_SERVICE_TIMEOUT_MS,
    probeTimeoutMs: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
    phpCli: options.phpCli ?? 'php',
  }
}

/**
 * Undo the newest committed apply on this host, as a transaction of its own: the files must
 * still be what that apply wrote (else refused as stale), the backups go back with their
 * metadata, the services are reloaded/restarted in the same order (or stopped again if the
 * apply had started them), and a failure rolls the undo back.
 */
export async function rollbackLast(transport: Transport, options: RollbackOptions = {}): Promise<ApplyResult> {
  const boundary = newBoundary()
  const root = journalRoot({stateDir: options.stateDir ?? DEFAULT_STATE_DIR})
  const read = await transport.exec(readLastCommittedCommand(root, boundary), {timeoutMs: 60_000})
  if (read.code !== 0) {
    throw new FpmfixError('ROLLBACK_FAILED', `cannot read the journal: ${read.stderr.trim() || `exit ${read.code}`}`, {
      hint: 'Check that fpmfix can become root on this host.',
    })
  }
  const sections = splitSections(read.stdout, boundary)
  if (sections.has('none') || !sections.has('txid')) {
    return {status: 'unchanged', steps: [], note: 'no committed transaction to roll back on this host'}
  }
  const spec = buildUndoSpec(sections, options)
  const result = await runTransaction(transport, spec, options)
  return {...result, note: `undo of transaction ${spec.undoes}`}
}
