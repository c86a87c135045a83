import type {Remedy, ServiceActionKind} from '../model/finding.js'

type ServiceRemedy = Extract<Remedy, {kind: 'service'}>

/** Start, restart, reload or stop one php-fpm install. */
export function fpmService(install: string, action: ServiceActionKind, reason: string): ServiceRemedy {
  return {kind: 'service', target: {kind: 'php-fpm', install}, action, reason}
}

export function nginxService(action: ServiceActionKind, reason: string): ServiceRemedy {
  return {kind: 'service', target: {kind: 'nginx'}, action, reason}
}
