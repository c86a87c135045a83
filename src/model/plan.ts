import type {ApplyProbes, FpmInstallOptions, NginxOptions} from '../apply/types.js'
import type {Finding, ServiceActionKind, ServiceTarget} from './finding.js'

export const PLAN_FORMAT_VERSION = 1

/** A whole-file replacement, computed from the file's exact bytes at plan time. */
export interface FileChange {
  /** The file written: a symlink's target, never the link itself. */
  path: string
  /** The path the config named when it was a symlink (e.g. sites-enabled/…). */
  viaSymlink?: string
  before: string
  after: string
  beforeSha256: string
  afterSha256: string
  /** Unified diff with git-style a/ b/ headers. */
  diff: string
  reasons: string[]
}

export interface ServiceAction {
  target: ServiceTarget
  /** The service's real name (php8.2-fpm, php-fpm, php-fpm82, nginx). */
  service: string
  action: ServiceActionKind
  reason: string
}

/** Something the plan was computed from, re-read by apply to refuse a stale plan. */
export interface Fingerprint {
  kind: 'file' | 'state'
  /** A path for files; a state key such as `socket:/run/php/php8.2-fpm.sock` or `service:php8.2-fpm`. */
  key: string
  sha256: string
}

export type HostPlanStatus = 'changes' | 'unchanged' | 'failed'

export interface HostPlan {
  name: string
  address: string
  status: HostPlanStatus
  findings: Finding[]
  changes: FileChange[]
  actions: ServiceAction[]
  fingerprints: Fingerprint[]
  /** Problems the planner saw but would not guess at (ambiguity, no config remedy). */
  notes: string[]
  /** What the login user could not read (without --become), so causes needing it could not be seen. */
  unreadable?: string[]
  /** What apply checks after acting: the listeners each php-fpm install must serve, and the probes. */
  verify?: {fpm: Record<string, FpmInstallOptions>; nginx: NginxOptions; probes: ApplyProbes}
  error?: {code: string; message: string; hint?: string}
}

export interface PlanSummary {
  hosts: number
  toChange: number
  unchanged: number
  failed: number
  text: string
}

export interface PlanDocument {
  formatVersion: number
  kind: 'fpmfix-plan'
  createdAt: string
  fpmfixVersion: string
  hosts: HostPlan[]
  summary: PlanSummary
}

export function summarize(hosts: HostPlan[]): PlanSummary {
  const toChange = hosts.filter((host) => host.status === 'changes').length
  const failed = hosts.filter((host) => host.status === 'failed').length
  const unchanged = hosts.length - toChange - failed
  const noun = hosts.length === 1 ? 'host' : 'hosts'
  return {
    hosts: hosts.length,
    toChange,
    unchanged,
    failed,
    text: `${hosts.length} ${noun}: ${toChange} to change, ${unchanged} unchanged, ${failed} failed`,
  }
}
