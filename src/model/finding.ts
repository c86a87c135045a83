/** The stable finding vocabulary; ids never change meaning. */
export const FINDING_IDS = [
  'fpm-down',
  'socket-mismatch',
  'socket-permission',
  'pool-exhausted',
  'timeout-mismatch',
  'header-buffer',
  'fpm-crashing',
  'reload-cuts-requests',
  'unknown-upstream-error',
  'config-invalid',
  'nginx-down',
] as const

export type FindingId = (typeof FINDING_IDS)[number]

/** critical: causing 502s now; warning: will under load or after the next restart; info: worth knowing. */
export type Severity = 'critical' | 'warning' | 'info'

export const SEVERITY_ORDER: Record<Severity, number> = {critical: 0, warning: 1, info: 2}

export interface Evidence {
  kind: 'log' | 'stat' | 'config' | 'command' | 'process' | 'listener' | 'status'
  text: string
  /** file:line, a command, or a path. */
  source?: string
  /** Host-local time of a log line, `YYYY-MM-DD HH:MM:SS`. */
  time?: string
}

/** What a finding is about: a pool, a place in nginx's config, or the whole host. */
export interface FindingScope {
  label: string
  pool?: {install: string; name: string}
  nginx?: {file: string; line: number; server?: string; location?: string}
}

/** One desired-state change that remedies a finding. The planner turns these into file edits and actions. */
export type Remedy =
  | {kind: 'fpm-set'; install: string; pool: string; key: string; value: string; reason: string}
  | {kind: 'nginx-set'; file: string; line: number; directive: string; args: string[]; reason: string}
  /** Add a directive inside the block whose header is at file:line. */
  | {kind: 'nginx-insert'; file: string; line: number; directive: string; args: string[]; reason: string}
  /** Create the pool section [pool] in `file`: a new file, or a section appended to an existing one. */
  | {kind: 'fpm-pool'; install: string; pool: string; file: string; reason: string}
  | {kind: 'service'; target: ServiceTarget; action: ServiceActionKind; reason: string}

export type ServiceActionKind = 'start' | 'restart' | 'reload' | 'stop'

export type ServiceTarget = {kind: 'php-fpm'; install: string} | {kind: 'nginx'}

export interface Finding {
  id: FindingId
  severity: Severity
  scope: FindingScope
  summary: string
  evidence: Evidence[]
  remedies: Remedy[]
}
