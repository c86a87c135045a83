import {createHash, randomBytes} from 'node:crypto'
import {hostname, userInfo} from 'node:os'

import {FpmfixError} from '../errors.js'
import {dialHost, isListenAll} from '../model/address.js'
import type {ServiceActionKind} from '../model/finding.js'
import {ABSENT, type HostPlan, type ServiceAction} from '../model/plan.js'
import type {FastcgiProbe, HttpProbe, ListenerExpectation, NginxOptions} from '../model/verification.js'
import {DEFAULT_STATE_DIR, isTxid} from '../protocol/journal.js'
import {parseStateKey} from '../protocol/state-keys.js'
import {fpmServiceNameFor} from './service-names.js'
import type {ApplyOptions, ServiceManagerKind} from './types.js'

/** What a transaction does to a service. */
export type ServiceVerb = ServiceActionKind

export interface TxFile {
  path: string
  viaSymlink?: string
  /** New bytes; null removes the file (undoing a file a transaction created). */
  after: Buffer | null
  afterSha256: string
  beforeSha256: string
  /** Index of this file's precondition in `checks`. */
  check: number
}

/** A listener expectation with its values already in the form the runtime compares. */
export interface TxExpectation {
  socket?: {path: string; owner: string; group: string; mode: string}
  /** Port and IPv4 address as /proc/net/tcp prints them (address empty: any). */
  tcp?: {portHex: string; addressHex: string; label: string}
}

/** Where a FastCGI probe connects (`unix:///path` or `tcp://host:port`) and the path it asks for. */
export interface TxFastcgiProbe {
  address: string
  uri: string
}

/** The probes that must pass right after an action, before the next one runs. */
export interface TxGate {
  fastcgi: TxFastcgiProbe[]
  http: HttpProbe[]
}

export interface TxAction {
  kind: 'php-fpm' | 'nginx'
  /** php-fpm: the install's binary (its id); nginx: the nginx binary. */
  binary: string
  service: string
  verb: ServiceVerb
  mainConfig?: string
  expect: TxExpectation[]
  /** Absent, or with at least one probe. */
  gate?: TxGate
  label: string
}

export interface TxCheck {
  kind: 'file' | 'state'
  key: string
  sha256: string
  /** A state check's line as the plan saw it, when the plan kept it. */
  state?: string
}

export type TxValidation = {kind: 'php-fpm'; binary: string; mainConfig?: string} | {kind: 'nginx'}

export interface TxSpec {
  txid: string
  kind: 'apply' | 'undo'
  /** The transaction an undo reverts. */
  undoes?: string
  host: string
  owner: string
  stateDir: string
  files: TxFile[]
  actions: TxAction[]
  checks: TxCheck[]
  validations: TxValidation[]
  nginx: NginxOptions
  fastcgiProbes: TxFastcgiProbe[]
  httpProbes: HttpProbe[]
  serviceManager?: ServiceManagerKind
  serviceTimeoutMs: number
  probeTimeoutMs: number
  /** Bound on waiting, before php-fpm is stopped or replaced, for the requests still going to it to end. */
  drainTimeoutMs: number
  phpCli: string
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

export function newTxid(now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  return `${stamp}-${randomBytes(4).toString('hex')}`
}

/** `user@host` with only characters that stay on one line of the lock file. */
export function defaultOwner(): string {
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {
    // No passwd entry for this uid (containers).
  }
  return sanitizeOwner(`${user}@${hostname()}`)
}

export function sanitizeOwner(owner: string): string {
  return owner.replace(/[^A-Za-z0-9@._:+-]/g, '_').slice(0, 200) || 'unknown'
}

export const DEFAULT_SERVICE_TIMEOUT_MS = 15_000
export const DEFAULT_PROBE_TIMEOUT_MS = 10_000
export const DEFAULT_DRAIN_TIMEOUT_MS = 60_000

/** The settings every transaction takes from the apply options, with their defaults: one place for both apply and undo. */
export function transactionSettings(
  options: ApplyOptions,
): Pick<TxSpec, 'owner' | 'stateDir' | 'serviceTimeoutMs' | 'probeTimeoutMs' | 'drainTimeoutMs' | 'phpCli'> {
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR
  assertPath(stateDir, 'state directory')
  return {
    owner: sanitizeOwner(options.owner ?? defaultOwner()),
    stateDir: stateDir.replace(/\/+$/, '') || '/',
    serviceTimeoutMs: options.serviceTimeoutMs ?? DEFAULT_SERVICE_TIMEOUT_MS,
    probeTimeoutMs: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
    drainTimeoutMs: options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
    phpCli: options.phpCli ?? 'php',
  }
}

function invalid(message: string, hint = 'Re-run fpmfix plan and apply the new plan.'): FpmfixError {
  return new FpmfixError('PLAN_FILE_INVALID', message, {hint})
}

export function assertPath(path: string, what: string): void {
  if (!path.startsWith('/') || path.includes('\0') || path.includes('\n')) {
    throw invalid(`${what} must be an absolute path without NUL or newline: ${JSON.stringify(path)}`)
  }
}

function normalizeMode(mode: string): string {
  if (!/^0?[0-7]{3,4}$/.test(mode))
    throw invalid(`socket mode must be octal like 0660, got ${JSON.stringify(mode)}`, 'Fix the apply options.')
  return Number.parseInt(mode, 8).toString(8)
}

/** 127.0.0.1 → 0100007F, the little-endian hex /proc/net/tcp prints; '' for anything else (any address matches). */
export function ipv4Hex(host: string): string {
  const parts = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  if (!parts) return ''
  const bytes = parts.slice(1).map(Number)
  if (bytes.some((byte) => byte > 255)) return ''
  return bytes
    .reverse()
    .map((byte) => byte.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase()
}

export function normalizeExpectation(expectation: ListenerExpectation): TxExpectation {
  const result: TxExpectation = {}
  if (expectation.socket) {
    assertPath(expectation.socket.path, 'expected socket')
    result.socket = {
      path: expectation.socket.path,
      owner: expectation.socket.owner ?? '',
      group: expectation.socket.group ?? '',
      mode: expectation.socket.mode === undefined ? '' : normalizeMode(expectation.socket.mode),
    }
  }
  if (expectation.tcp) {
    const {host, port} = expectation.tcp
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw invalid(`expected TCP port out of range: ${port}`, 'Fix the apply options.')
    result.tcp = {
      portHex: port.toString(16).toUpperCase().padStart(4, '0'),
      addressHex: isListenAll(host) ? '' : ipv4Hex(host),
      label: `${host}:${port}`,
    }
  }
  return result
}

/** Where and what a FastCGI probe asks: the pool's ping path, else a script that cannot exist. */
export function fastcgiProbeTarget(probe: FastcgiProbe, txid: string): TxFastcgiProbe {
  const uri = probe.pingPath ?? `/fpmfix-probe-${txid}.php`
  if (/[\0\n]/.test(uri)) throw invalid(`invalid FastCGI probe path ${JSON.stringify(uri)}`)
  if (probe.socket !== undefined) {
    assertPath(probe.socket, 'FastCGI probe socket')
    return {address: `unix://${probe.socket}`, uri}
  }
  if (probe.tcp) {
    const host = dialHost(probe.tcp.host)
    return {address: `tcp://${host.includes(':') ? `[${host}]` : host}:${probe.tcp.port}`, uri}
  }
  throw invalid('a FastCGI probe needs a socket or a tcp address', 'Fix the apply options.')
}

/** Only what the runtime's probe can send: http://host[:port]/path and a plain Host header. */
export function checkHttpProbes(probes: HttpProbe[]): HttpProbe[] {
  for (const probe of probes) {
    if (!/^http:\/\/[^\s/]+(\/\S*)?$/.test(probe.url))
      throw invalid(
        `HTTP probe URL must be http://host[:port]/path, got ${JSON.stringify(probe.url)}`,
        'Fix the apply options.',
      )
    if (probe.hostHeader !== undefined && !/^[A-Za-z0-9.:[\]_-]+$/.test(probe.hostHeader)) {
      throw invalid(`invalid Host header ${JSON.stringify(probe.hostHeader)}`, 'Fix the apply options.')
    }
  }
  return probes
}

function defaultFastcgiProbes(options: ApplyOptions, fpmInstalls: string[]): FastcgiProbe[] {
  return fpmInstalls.flatMap((install) =>
    (options.fpm?.[install]?.expect ?? []).flatMap((expectation): FastcgiProbe[] => {
      if (expectation.socket) return [{socket: expectation.socket.path}]
      if (expectation.tcp) return [{tcp: expectation.tcp}]
      return []
    }),
  )
}

function buildChecks(plan: HostPlan): {checks: TxCheck[]; changeChecks: number[]} {
  const checks: TxCheck[] = []
  const byKey = new Map<string, number>()
  for (const fingerprint of plan.fingerprints) {
    if (fingerprint.kind === 'file') assertPath(fingerprint.key, 'fingerprinted file')
    else parseStateKey(fingerprint.key)
    const id = `${fingerprint.kind}\0${fingerprint.key}`
    const seen = byKey.get(id)
    if (seen !== undefined) {
      if (checks[seen]!.sha256 !== fingerprint.sha256)
        throw invalid(`the plan fingerprints ${fingerprint.key} twice with different hashes`)
      continue
    }
    byKey.set(id, checks.length)
    const state = fingerprint.kind === 'state' && typeof fingerprint.state === 'string' ? fingerprint.state : undefined
    checks.push({
      kind: fingerprint.kind,
      key: fingerprint.key,
      sha256: fingerprint.sha256,
      ...(state === undefined ? {} : {state}),
    })
  }
  const changeChecks = plan.changes.map((change) => {
    const id = `file\0${change.path}`
    const seen = byKey.get(id)
    if (seen !== undefined) {
      if (checks[seen]!.sha256 !== change.beforeSha256) {
        throw invalid(`the plan's fingerprint of ${change.path} does not match the change's starting point`)
      }
      return seen
    }
    byKey.set(id, checks.length)
    checks.push({kind: 'file', key: change.path, sha256: change.beforeSha256})
    return checks.length - 1
  })
  return {checks, changeChecks}
}

function buildFiles(plan: HostPlan, changeChecks: number[]): TxFile[] {
  const seen = new Set<string>()
  return plan.changes.map((change, index) => {
    assertPath(change.path, 'changed file')
    if (seen.has(change.path)) throw invalid(`the plan changes ${change.path} twice`)
    seen.add(change.path)
    const after = Buffer.from(change.after, 'utf8')
    if (sha256Hex(after) !== change.afterSha256)
      throw invalid(`the new content of ${change.path} does not match its afterSha256`)
    if (change.beforeSha256 !== ABSENT && sha256Hex(change.before) !== change.beforeSha256) {
      throw invalid(`the old content of ${change.path} does not match its beforeSha256`)
    }
    return {
      path: change.path,
      ...(change.viaSymlink === undefined ? {} : {viaSymlink: change.viaSymlink}),
      after,
      afterSha256: change.afterSha256,
      beforeSha256: change.beforeSha256,
      check: changeChecks[index]!,
    }
  })
}

/** An action's gate as the runtime runs it; `--probe-url` (gateHttpProbes) replaces its HTTP probes. */
function buildGate(action: ServiceAction, options: ApplyOptions, txid: string): TxGate | undefined {
  const fastcgi = (action.gate?.fastcgi ?? []).map((probe) => fastcgiProbeTarget(probe, txid))
  const planned = action.gate?.http ?? []
  const http = checkHttpProbes(planned.length > 0 && options.gateHttpProbes ? options.gateHttpProbes : planned)
  return fastcgi.length + http.length > 0 ? {fastcgi, http} : undefined
}

function buildActions(plan: HostPlan, options: ApplyOptions, txid: string): TxAction[] {
  const seen = new Set<string>()
  return plan.actions.map((action) => {
    const key = action.target.kind === 'nginx' ? 'nginx' : action.target.install
    if (seen.has(key)) throw invalid(`the plan has two actions for ${key}`)
    seen.add(key)
    if (!/^[A-Za-z0-9@._-]+$/.test(action.service))
      throw invalid(`invalid service name ${JSON.stringify(action.service)}`)
    const label = `${action.action} ${action.service}`
    const gate = buildGate(action, options, txid)
    if (action.target.kind === 'nginx') {
      return {
        kind: 'nginx',
        binary: options.nginx?.binary ?? 'nginx',
        service: action.service,
        verb: action.action,
        expect: [],
        ...(gate ? {gate} : {}),
        label,
      }
    }
    const install = action.target.install
    assertPath(install, 'php-fpm install')
    const fpm = options.fpm?.[install]
    if (fpm?.mainConfig !== undefined) assertPath(fpm.mainConfig, 'php-fpm main config')
    return {
      kind: 'php-fpm',
      binary: install,
      service: action.service || fpmServiceNameFor(install),
      verb: action.action,
      ...(fpm?.mainConfig === undefined ? {} : {mainConfig: fpm.mainConfig}),
      expect: (fpm?.expect ?? []).map(normalizeExpectation),
      ...(gate ? {gate} : {}),
      label,
    }
  })
}

/** php-fpm -t for every install acted on; nginx -t when nginx is acted on or one of its files changes. */
function buildValidations(plan: HostPlan, actions: TxAction[]): TxValidation[] {
  const validations: TxValidation[] = actions
    .filter((action) => action.kind === 'php-fpm')
    .map((action) => ({
      kind: 'php-fpm',
      binary: action.binary,
      ...(action.mainConfig ? {mainConfig: action.mainConfig} : {}),
    }))
  const nginxTouched = plan.changes.some(
    (change) => /\/nginx\//.test(change.path) || /\/nginx\//.test(change.viaSymlink ?? ''),
  )
  if (actions.some((action) => action.kind === 'nginx') || nginxTouched) validations.push({kind: 'nginx'})
  return validations
}

function checkNginxOptions(nginx: NginxOptions): NginxOptions {
  if (nginx.config !== undefined) assertPath(nginx.config, 'nginx main config')
  if (nginx.prefix !== undefined) assertPath(nginx.prefix, 'nginx prefix')
  if (nginx.binary !== undefined && /[\0\n]/.test(nginx.binary))
    throw invalid('invalid nginx binary', 'Fix the apply options.')
  return nginx
}

/** Everything one host's transaction does, checked and normalised; pure. */
export function buildTxSpec(plan: HostPlan, options: ApplyOptions = {}, txid: string = newTxid()): TxSpec {
  if (!isTxid(txid)) throw new FpmfixError('INTERNAL', `invalid transaction id ${txid}`)
  const {checks, changeChecks} = buildChecks(plan)
  const files = buildFiles(plan, changeChecks)
  const actions = buildActions(plan, options, txid)
  const fpmInstalls = actions.filter((action) => action.kind === 'php-fpm').map((action) => action.binary)
  const fastcgi = options.probes?.fastcgi ?? defaultFastcgiProbes(options, fpmInstalls)
  return {
    txid,
    kind: 'apply',
    host: plan.name,
    ...transactionSettings(options),
    files,
    actions,
    checks,
    validations: buildValidations(plan, actions),
    nginx: checkNginxOptions(options.nginx ?? {}),
    fastcgiProbes: fastcgi.map((probe) => fastcgiProbeTarget(probe, txid)),
    httpProbes: checkHttpProbes(options.probes?.http ?? []),
    ...(options.serviceManager === undefined ? {} : {serviceManager: options.serviceManager}),
  }
}

/**
 * What identifies a plan's effect: the files it writes with their new contents, and its service
 * actions. A committed transaction with the same digest applied the same plan.
 */
export function planDigest(spec: Pick<TxSpec, 'files' | 'actions'>): string {
  const files = spec.files
    .map((file) => [file.path, file.afterSha256])
    .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0))
  const actions = spec.actions.map((action) => [action.kind, action.binary, action.service, action.verb])
  return sha256Hex(JSON.stringify({files, actions}))
}
