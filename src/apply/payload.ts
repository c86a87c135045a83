import {FpmfixError} from '../errors.js'
import {ABSENT} from '../model/plan.js'
import type {HttpProbe} from '../model/verification.js'
import {formatKeyValues, formatSection} from '../protocol/frames.js'
import {hostFile, hostProgram} from '../protocol/host-program.js'
import {JOURNAL_LIBRARIES, journalDir} from '../protocol/journal.js'
import {planDigest, type TxFastcgiProbe, type TxSpec} from './tx-spec.js'

/**
 * What a transaction ships to its host (README.md here): the static runtime, tx.sh, and the
 * transaction as data: its spec (`name=value` lines), the new file contents and the manifest,
 * framed as protocol sections named by their path in the journal. Nothing here is code.
 */

/** tx.sh, in the order its parts are concatenated: the shared protocol libraries, then the runtime. */
export const RUNTIME_FILES = [
  'protocol/sh/frame.sh',
  'protocol/sh/journal.sh',
  'protocol/sh/proc.sh',
  'protocol/sh/state.sh',
  'apply/runtime/core.sh',
  'apply/runtime/lock.sh',
  'apply/runtime/files.sh',
  'apply/runtime/services.sh',
  'apply/runtime/probes.sh',
  'apply/runtime/main.sh',
]

/** The PHP clients the probes run, stored in the journal under probes/. */
export const PROBE_CLIENTS = ['fastcgi-client.php', 'http-client.php']

/** The manifest kept in the journal: what `fpmfix rollback` and journal readers need about this transaction. */
export function transactionManifest(spec: TxSpec): Record<string, unknown> {
  return {
    formatVersion: 1,
    txid: spec.txid,
    kind: spec.kind,
    ...(spec.undoes ? {undoes: spec.undoes} : {}),
    host: spec.host,
    owner: spec.owner,
    files: spec.files.map(({path, viaSymlink, beforeSha256, afterSha256}) => ({
      path,
      ...(viaSymlink ? {viaSymlink} : {}),
      beforeSha256,
      afterSha256,
    })),
    actions: spec.actions,
    checks: spec.checks,
    validations: spec.validations,
    nginx: spec.nginx,
    ...(spec.serviceManager ? {serviceManager: spec.serviceManager} : {}),
  }
}

type SpecRecord = [string, string | number]

/** A list in the spec: its length as `<list>`, each field of item i as `<item>_<i>_<field>` (undefined: left out). */
function listRecords<T>(
  list: string,
  item: string,
  items: T[],
  fields: (entry: T) => Array<[string, string | undefined]>,
): SpecRecord[] {
  return [
    [list, items.length],
    ...items.flatMap((entry, index) =>
      fields(entry).flatMap(([field, value]): SpecRecord[] =>
        value === undefined ? [] : [[`${item}_${index}_${field}`, value]],
      ),
    ),
  ]
}

/** Probe lists under `prefix` (probes.sh `run_probes PREFIX`): the final probes, or an action's gate. */
function probeRecords(prefix: string, fastcgi: TxFastcgiProbe[], http: HttpProbe[]): SpecRecord[] {
  return [
    ...listRecords(`${prefix}fcgi_probes`, `${prefix}fcgi_probe`, fastcgi, (probe) => [
      ['address', probe.address],
      ['uri', probe.uri],
    ]),
    ...listRecords(`${prefix}http_probes`, `${prefix}http_probe`, http, (probe) => [
      ['url', probe.url],
      ['host', probe.hostHeader],
    ]),
  ]
}

/** The spec the runtime reads (`spec_get`): one `name=value` line per value, lists as `<item>_<i>_<field>`. */
export function specRecords(spec: TxSpec): SpecRecord[] {
  const records: SpecRecord[] = [
    ['txid', spec.txid],
    ['kind', spec.kind],
    ['undoes', spec.undoes ?? ''],
    ['owner', spec.owner],
    ['digest', planDigest(spec)],
    ['service_manager', spec.serviceManager ?? ''],
    ['service_timeout_ms', Math.max(1, Math.round(spec.serviceTimeoutMs))],
    ['probe_timeout_s', Math.max(1, Math.ceil(spec.probeTimeoutMs / 1000))],
    ['drain_timeout_ms', Math.max(0, Math.round(spec.drainTimeoutMs))],
    ['php_cli', spec.phpCli],
    ['nginx_binary', spec.nginx.binary ?? 'nginx'],
    ['nginx_prefix', spec.nginx.prefix ?? ''],
    ['nginx_config', spec.nginx.config ?? ''],
    ...listRecords('checks', 'check', spec.checks, (check) => [
      ['kind', check.kind],
      ['key', check.key],
      ['sha256', check.sha256],
    ]),
    ...listRecords('files', 'file', spec.files, (file) => [
      ['path', file.path],
      ['before', file.beforeSha256],
      ['after', file.after === null ? ABSENT : file.afterSha256],
      ['check', String(file.check)],
    ]),
    ...listRecords('validations', 'validation', spec.validations, (validation) =>
      validation.kind === 'php-fpm'
        ? [
            ['kind', 'php-fpm'],
            ['binary', validation.binary],
            ['config', validation.mainConfig],
          ]
        : [['kind', 'nginx']],
    ),
    ...listRecords('actions', 'action', spec.actions, (action) => [
      ['kind', action.kind],
      ['binary', action.binary],
      ['service', action.service],
      ['verb', action.verb],
      ['config', action.mainConfig],
      ['expects', String(action.expect.length)],
    ]),
    ...spec.actions.flatMap((action, index) =>
      action.expect.flatMap((expectation, j): SpecRecord[] => {
        const prefix = `action_${index}_expect_${j}`
        if (expectation.socket) {
          const {path, owner, group, mode} = expectation.socket
          return [
            [`${prefix}_socket`, path],
            [`${prefix}_owner`, owner],
            [`${prefix}_group`, group],
            [`${prefix}_mode`, mode],
          ]
        }
        const tcp = expectation.tcp!
        return [
          [`${prefix}_port_hex`, tcp.portHex],
          [`${prefix}_addr_hex`, tcp.addressHex],
          [`${prefix}_label`, tcp.label],
        ]
      }),
    ),
    ...spec.actions.flatMap((action, index) =>
      action.gate ? probeRecords(`action_${index}_gate_`, action.gate.fastcgi, action.gate.http) : [],
    ),
    ...probeRecords('', spec.fastcgiProbes, spec.httpProbes),
  ]
  for (const [name, value] of records) {
    if (/[\0\n]/.test(String(value))) {
      throw new FpmfixError(
        'PLAN_FILE_INVALID',
        `the transaction's ${name} holds a newline or NUL: ${JSON.stringify(value)}`,
      )
    }
  }
  return records
}

function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join('\n')
}

/** The stream the bootstrap stores in the journal: one section per journal file, named by its path. */
export function transactionPayload(spec: TxSpec, boundary: string): string {
  const file = (arg: string, content: string): string => formatSection(boundary, {kind: 'file', arg, content})
  return [
    file('tx.sh', hostProgram(RUNTIME_FILES)),
    file('spec', formatKeyValues(specRecords(spec))),
    file('manifest.json', JSON.stringify(transactionManifest(spec))),
    ...PROBE_CLIENTS.map((name) => file(`probes/${name}`, hostFile(`apply/runtime/probes/${name}`))),
    ...spec.files.flatMap((entry, index) =>
      entry.after === null
        ? []
        : [formatSection(boundary, {kind: 'b64', arg: `new/${index}.b64`, content: base64Lines(entry.after)})],
    ),
  ].join('')
}

/** Seconds the bootstrap and each later follow stream steps before answering (a dropped connection is noticed by then). */
export const FOLLOW_WINDOW_S = 60

/** The command that stores the payload (on its stdin), starts the transaction detached and follows it for windowS. */
export function bootstrapProgram(spec: TxSpec, boundary: string, windowS = FOLLOW_WINDOW_S): string {
  return hostProgram([...JOURNAL_LIBRARIES, 'apply/runtime/bootstrap.sh'], {
    B: boundary,
    TXID: spec.txid,
    STATE_DIR: spec.stateDir,
    WINDOW_S: String(windowS),
  })
}

/** The command that streams a transaction's steps after the first `seen`, then its report. */
export function followProgram(stateDir: string, txid: string, seen: number, windowS: number, boundary: string): string {
  return hostProgram([...JOURNAL_LIBRARIES, 'apply/runtime/follow.sh'], {
    B: boundary,
    D: journalDir(stateDir, txid),
    TXID: txid,
    SEEN: String(seen),
    WINDOW_S: String(windowS),
  })
}
