/** A place in a policy file: what asked for a setting. */
export interface PolicyLine {
  file: string
  line: number
}

/** One `key = value` of a policy section, as written (quotes removed). */
export interface DesiredValue {
  key: string
  value: string
  at: PolicyLine
}

/** `[pool:NAME]` or `[pool:GLOB]`: settings every matching pool must have. */
export interface DesiredPoolRule {
  /** A pool name, or a glob with `*` and `?`. */
  pattern: string
  at: PolicyLine
  settings: DesiredValue[]
}

/** `[php]`: the version every PHP site is served by. */
export interface DesiredPhp {
  /** `8.2` */
  version: string
  versionKey: number[]
  at: PolicyLine
  /** Stop the other versions' services once nothing points at them. */
  retireOld: boolean
  retireAt?: PolicyLine
}

/** The desired state a policy file states; the planner turns each difference into drift and remedies. */
export interface DesiredState {
  file: string
  php?: DesiredPhp
  pools: DesiredPoolRule[]
  /** FastCGI settings every PHP location must have in effect (`fastcgi_read_timeout` → `60s`). */
  nginx: DesiredValue[]
}
