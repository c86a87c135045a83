import {shellJoin} from '../util/shell-quote.js'
import type {ServiceManagerKind} from './types.js'

export type ServiceVerb = 'start' | 'restart' | 'reload' | 'stop'

export const SERVICE_MANAGERS: readonly ServiceManagerKind[] = ['systemd', 'sysv', 'openrc', 'none']

/**
 * sh function `svc_manager NAME`: prints how NAME is controlled on this host. systemd only
 * counts when it runs as init and knows the unit; OpenRC when it runs and has the script;
 * SysV when /etc/init.d/NAME exists; otherwise `none` (containers, hand-started daemons).
 */
export const DETECT_MANAGER_FUNCTION = String.raw`svc_manager() {
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 &&
    [ "$(systemctl show -p LoadState "$1.service" 2>/dev/null)" = LoadState=loaded ]; then
    echo systemd
  elif command -v rc-service >/dev/null 2>&1 && [ -d /run/openrc ] && [ -e "/etc/init.d/$1" ]; then
    echo openrc
  elif [ -x "/etc/init.d/$1" ]; then
    echo sysv
  else
    echo none
  fi
}`

/** The command that asks a service manager to start/restart/reload/stop a service. */
export function managedServiceCommand(
  manager: Exclude<ServiceManagerKind, 'none'>,
  service: string,
  verb: ServiceVerb,
): string {
  switch (manager) {
    case 'systemd':
      return shellJoin(['systemctl', verb, `${service}.service`])
    case 'openrc':
      return shellJoin(['rc-service', service, verb])
    case 'sysv':
      return `if command -v service >/dev/null 2>&1; then ${shellJoin(['service', service, verb])}; else ${shellJoin([`/etc/init.d/${service}`, verb])}; fi`
  }
}

export interface FpmDirectParams {
  binary: string
  mainConfig?: string
}

/**
 * php-fpm without a service manager. `-D` forces daemon mode whatever `daemonize` says, so
 * a start returns once the master has forked. The pid-based commands read the master pids
 * the transaction runtime recorded in $O_MASTER just before running them; `masters_gone` is the
 * runtime's bounded wait for them to exit.
 */
export function directFpmCommand(verb: ServiceVerb, params: FpmDirectParams): string {
  const start =
    shellJoin([params.binary, '-D', ...(params.mainConfig ? ['-y', params.mainConfig] : [])]) + ' </dev/null'
  switch (verb) {
    case 'start':
      return start
    case 'reload':
      return 'kill -USR2 $O_MASTER'
    case 'stop':
      return 'kill -QUIT $O_MASTER && masters_gone'
    case 'restart':
      return `kill -QUIT $O_MASTER && masters_gone && ${start}`
  }
}

export interface NginxDirectParams {
  binary?: string
  config?: string
  prefix?: string
}

export function nginxArgs(params: NginxDirectParams): string[] {
  return [
    params.binary ?? 'nginx',
    ...(params.prefix ? ['-p', params.prefix] : []),
    ...(params.config ? ['-c', params.config] : []),
  ]
}

/** nginx without a service manager: signals through `nginx -s`, a start by running the binary. */
export function directNginxCommand(verb: ServiceVerb, params: NginxDirectParams): string {
  const nginx = nginxArgs(params)
  switch (verb) {
    case 'start':
      return shellJoin(nginx) + ' </dev/null'
    case 'reload':
      return shellJoin([...nginx, '-s', 'reload'])
    case 'stop':
      return `${shellJoin([...nginx, '-s', 'quit'])} && masters_gone`
    case 'restart':
      return `${shellJoin([...nginx, '-s', 'quit'])} && masters_gone && ${shellJoin(nginx)} </dev/null`
  }
}

export type ServiceControlTarget =
  {kind: 'php-fpm'; service: string; fpm: FpmDirectParams} | {kind: 'nginx'; service: string; nginx: NginxDirectParams}

/** The command for VERB under MANAGER: the manager's own, or direct control when there is none. */
export function serviceCommand(target: ServiceControlTarget, manager: ServiceManagerKind, verb: ServiceVerb): string {
  if (manager !== 'none') return managedServiceCommand(manager, target.service, verb)
  return target.kind === 'php-fpm' ? directFpmCommand(verb, target.fpm) : directNginxCommand(verb, target.nginx)
}

/** sh function NAME VERB MANAGER running one service's command for every verb and manager. */
export function serviceControlFunction(
  name: string,
  target: ServiceControlTarget,
  verbs: readonly ServiceVerb[],
): string {
  const branches = verbs.flatMap((verb) =>
    SERVICE_MANAGERS.map((manager) => `    ${verb}:${manager}) ${serviceCommand(target, manager, verb)} ;;`),
  )
  return [
    `${name}() {`,
    '  case $1:$2 in',
    ...branches,
    '    *) echo "cannot $1 under service manager $2"; return 1 ;;',
    '  esac',
    '}',
  ].join('\n')
}

/** The digits in a php-fpm service name or binary path: php8.2-fpm, php-fpm8.2 and /opt/remi/php82/… all give 82. */
export function versionDigits(text: string): string {
  return text.replace(/[^0-9]/g, '')
}

/** Whether a php-fpm binary is the one a service name runs (Debian php8.2-fpm, Alpine php-fpm82, Remi php74-php-fpm, plain php-fpm). */
export function fpmBinaryMatchesService(binary: string, service: string): boolean {
  return versionDigits(binary) === versionDigits(service)
}

/** The conventional service name for a php-fpm binary path. */
export function fpmServiceNameFor(binary: string): string {
  const remi = /\/opt\/remi\/(php\d+)\//.exec(binary)
  if (remi) return `${remi[1]}-php-fpm`
  const base = binary.slice(binary.lastIndexOf('/') + 1)
  const debian = /^php-fpm(\d+\.\d+)$/.exec(base)
  if (debian) return `php${debian[1]}-fpm`
  return base
}
