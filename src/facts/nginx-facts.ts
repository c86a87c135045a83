import {
  effectiveDirective,
  effectiveFastcgiSettings,
  findFastcgiPasses,
  nginxErrorLogs,
  nginxWorkerUser,
  parseNginxDuration,
  parseNginxSize,
  type FastcgiPass,
  type LiteralTarget,
  type NginxConfig,
} from '../nginx/index.js'
import type {EffectiveValue} from '../nginx/effective.js'
import type {FastcgiSite, NginxFacts, Sourced} from '../model/facts.js'
import type {HostSnapshot, NginxInfo} from '../model/snapshot.js'
import {nginxTestDenied} from './gather-limits.js'
import {ipFamily, normalizeHost} from './ip-address.js'
import {nginxLiveness} from './service-state.js'

type SiteTarget = FastcgiSite['targets'][number]

function sourced<T>(effective: EffectiveValue, convert: (value: string[]) => T): Sourced<T> {
  return {
    value: convert(effective.value),
    source: effective.source === 'default' ? 'default' : {file: effective.source.file, line: effective.source.line},
  }
}

function literalTargets(target: LiteralTarget, pass: FastcgiPass): SiteTarget[] {
  const place = {file: pass.file, line: pass.line, directive: 'fastcgi_pass'} as const
  if (target.kind === 'unix') return [{kind: 'unix', path: target.path, ...place}]
  if (target.kind === 'tcp') return [{kind: 'tcp', host: target.host, port: target.port, ...place}]
  if (target.kind === 'upstream') {
    return target.servers.flatMap((server): SiteTarget[] => {
      const params = Object.entries(server.params).map(([key, value]) => (value === true ? key : `${key}=${value}`))
      const place = {file: server.file, line: server.line, directive: 'server', params} as const
      if (server.address.kind === 'unix') return [{kind: 'unix', path: server.address.path, ...place}]
      if (server.address.kind === 'tcp')
        return [{kind: 'tcp', host: server.address.host, port: server.address.port, ...place}]
      return []
    })
  }
  return []
}

/** `fastcgi_bind ADDRESS [transparent]` in force at the pass; nothing for `off` or none. */
function bindOf(config: NginxConfig, pass: FastcgiPass): Pick<FastcgiSite, 'bind'> {
  const bind = effectiveDirective(config, pass.treePath, 'fastcgi_bind')
  const raw = bind.value[0]
  if (bind.source === 'default' || raw === undefined || raw === 'off') return {}
  const host = raw.includes('$') ? undefined : raw.replace(/^\[([^\]]+)\](?::\d+)?$|^([^:]+):\d+$/, '$1$2')
  return {
    bind: {
      raw,
      ...(host !== undefined && ipFamily(host) !== undefined ? {address: normalizeHost(host)} : {}),
      file: bind.source.file,
      line: bind.source.line,
    },
  }
}

function siteOf(config: NginxConfig, pass: FastcgiPass): FastcgiSite {
  const target = pass.target
  const literals = target.kind === 'variable' ? (target.resolved ?? []) : [target]
  const settings = effectiveFastcgiSettings(config, pass.treePath)
  const seconds = (value: string[]) => parseNginxDuration(value[0] ?? '60s') / 1000
  const size = (value: string[]) => parseNginxSize(value[0] ?? '4k')
  const block = pass.location ?? pass.server ?? {file: pass.file, line: pass.line}
  return {
    file: pass.file,
    line: pass.line,
    server: pass.server?.names.join(' ') ?? '',
    serverListens: pass.server?.listens ?? [],
    location: pass.location?.args.join(' ') ?? '',
    raw: pass.raw,
    via: target.kind === 'variable' ? 'variable' : target.kind === 'upstream' ? 'upstream' : 'direct',
    ...(target.kind === 'upstream' ? {upstream: target.name} : {}),
    ...(target.kind === 'variable'
      ? {
          variable: {
            expr: target.expr,
            sources: target.sources.map(({variable, kind, file, line, value, entries}) => ({
              variable,
              kind,
              file,
              line,
              ...(value === undefined ? {} : {value}),
              ...(entries === undefined ? {} : {entries: entries.map((entry) => ({...entry}))}),
            })),
          },
        }
      : {}),
    targets: literals.flatMap((literal) => literalTargets(literal, pass)),
    unresolved: target.kind === 'invalid' || (target.kind === 'variable' && target.resolved === undefined),
    block: {file: block.file, line: block.line},
    ...bindOf(config, pass),
    readTimeout: sourced(settings.fastcgi_read_timeout, seconds),
    connectTimeout: sourced(settings.fastcgi_connect_timeout, seconds),
    sendTimeout: sourced(settings.fastcgi_send_timeout, seconds),
    bufferSize: sourced(settings.fastcgi_buffer_size, size),
    buffers: sourced(settings.fastcgi_buffers, (value) => ({
      count: Number(value[0] ?? 8),
      size: parseNginxSize(value[1] ?? '4k'),
    })),
    busyBuffersSize: {
      value: parseNginxSize(settings.fastcgi_busy_buffers_size.value[0] ?? '8k'),
      source:
        settings.fastcgi_busy_buffers_size.source === 'default'
          ? 'default'
          : {
              file: settings.fastcgi_busy_buffers_size.source.file,
              line: settings.fastcgi_busy_buffers_size.source.line,
            },
    },
  }
}

/** nginx as the rules see it: the parsed config's FastCGI sites, its worker user and its health. */
export function nginxFacts(info: NginxInfo, config: NginxConfig | undefined, snapshot: HostSnapshot): NginxFacts {
  const workers = info.processes.filter((process) => process.kind === 'nginx-worker')
  const denied = nginxTestDenied(snapshot, info)
  const user = config ? nginxWorkerUser(config) : undefined
  return {
    binary: info.binary,
    ...(info.version === undefined ? {} : {version: info.version}),
    ...nginxLiveness(snapshot, info),
    service: {
      manager: info.service.manager,
      pidFiles: info.service.pidFiles,
      ...(info.service.state === undefined ? {} : {state: info.service.state}),
      ...(info.service.statusOutput === undefined ? {} : {statusOutput: info.service.statusOutput}),
    },
    test:
      denied === undefined
        ? {ok: info.configDump.code === 0, output: info.configDump.stderr}
        : {ok: true, output: info.configDump.stderr, unknown: denied},
    workerUser: user
      ? {
          value: user.user,
          source: user.source === 'default' ? 'default' : {file: user.source.file, line: user.source.line},
        }
      : {value: 'nobody', source: 'default'},
    workerProcessUsers: [
      ...new Set(workers.map((worker) => worker.user).filter((name): name is string => name !== undefined)),
    ],
    sites: config ? findFastcgiPasses(config).map((pass) => siteOf(config, pass)) : [],
    errorLogs: config
      ? nginxErrorLogs(config)
          .filter((log) => log.kind === 'file')
          .map((log) => log.target)
      : [],
    serviceName: info.service.name,
    pids: info.processes
      .filter((process) => process.kind === 'nginx-master' || process.kind === 'nginx-worker')
      .map((process) => process.pid),
  }
}
