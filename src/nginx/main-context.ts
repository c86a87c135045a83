import type {NginxConfig, SourcePosition, TreePath} from './types.js'
import {childrenNamed, positionOf, walkNginx} from './walk.js'

export interface NginxWorkerUser {
  user: string
  /** `user www-data;` means group www-data too: nginx uses the user's name when no group is given. */
  group: string
  source: SourcePosition | 'default'
}

/** The documented default when `user` is absent (`user nobody nobody;`); a build may change it with --user. */
export const NGINX_DEFAULT_USER = {user: 'nobody', group: 'nobody'} as const

/** The worker user from the main-context `user` directive (it only applies when the master runs as root). */
export function nginxWorkerUser(config: NginxConfig): NginxWorkerUser {
  const directive = childrenNamed(config.directives, 'user').at(-1)
  const user = directive?.args[0]
  if (!directive || user === undefined) return {...NGINX_DEFAULT_USER, source: 'default'}
  return {user, group: directive.args[1] ?? user, source: positionOf(directive)}
}

/** The main-context `pid` path, or undefined when the build's --pid-path applies. */
export function nginxPidFile(config: NginxConfig): {path: string; source: SourcePosition} | undefined {
  const directive = childrenNamed(config.directives, 'pid').at(-1)
  const path = directive?.args[0]
  return directive && path !== undefined ? {path, source: positionOf(directive)} : undefined
}

export interface NginxErrorLog {
  /** The first argument: a file path, `stderr`, `syslog:…` or `memory:…`. */
  target: string
  kind: 'file' | 'stderr' | 'syslog' | 'memory'
  level?: string
  /** Names of the enclosing blocks: [] for main, ['http', 'server'] … */
  context: string[]
  source: SourcePosition
  treePath: TreePath
}

/** Every `error_log` at any level, in file order. A main context without one uses the build's --error-log-path. */
export function nginxErrorLogs(config: NginxConfig): NginxErrorLog[] {
  const logs: NginxErrorLog[] = []
  walkNginx(config.directives, (directive, {ancestors, path}) => {
    const target = directive.args[0]
    if (directive.name !== 'error_log' || target === undefined) return
    const log: NginxErrorLog = {
      target,
      kind: errorLogKind(target),
      context: ancestors.map((ancestor) => ancestor.name),
      source: positionOf(directive),
      treePath: path,
    }
    if (directive.args[1] !== undefined) log.level = directive.args[1]
    logs.push(log)
  })
  return logs
}

function errorLogKind(target: string): NginxErrorLog['kind'] {
  if (target === 'stderr') return 'stderr'
  if (target.startsWith('syslog:')) return 'syslog'
  if (target.startsWith('memory:')) return 'memory'
  return 'file'
}
