/** Log lines as the rules read them: parsed by src/logs from nginx's error log and php-fpm's log. */

export type UpstreamAddress = {kind: 'unix'; path: string} | {kind: 'tcp'; host: string; port: number}

export type NginxEventKind =
  | 'connect-failed'
  | 'too-big-header'
  | 'prematurely-closed'
  | 'reset-by-peer'
  | 'timed-out'
  | 'no-live-upstreams'
  | 'primary-script-unknown'
  | 'not-fastcgi'
  | 'other'

export interface NginxErrorEvent {
  source: 'nginx'
  file: string
  line: number
  raw: string
  time: number | undefined
  level: string
  /** The nginx process that wrote the line (`PID#TID`). */
  pid: number
  kind: NginxEventKind
  message: string
  errno?: number
  /** The step nginx was on: connecting to / sending request to / reading response header from upstream. */
  action?: string
  client?: string
  server?: string
  request?: string
  host?: string
  upstream?: UpstreamAddress
  upstreamRaw?: string
}

export type FpmEventKind =
  | 'max-children-reached'
  | 'seems-busy'
  | 'child-exited-signal'
  | 'child-exited-code'
  | 'emergency-restart'
  | 'reloading'
  | 'execution-timed-out'
  | 'executing-too-slow'
  | 'bind-failed'
  | 'another-instance'
  | 'init-failed'
  | 'config-error'
  | 'acl-ignores-owner'
  | 'worker-stderr'
  | 'connection-disallowed'
  | 'other'

export interface FpmLogEvent {
  source: 'fpm'
  file: string
  line: number
  raw: string
  time: number | undefined
  level: string
  kind: FpmEventKind
  message: string
  pool?: string
  pid?: number
  signal?: number
  signalName?: string
  coreDumped?: boolean
  exitCode?: number
  seconds?: number
  script?: string
  request?: string
  limit?: number
  /** The client address listen.allowed_clients refused. */
  client?: string
}
