import {parseNginxAddress, type ParsedAddress} from './address.js'
import type {NginxConfig, NginxDirective} from './types.js'
import {childrenNamed} from './walk.js'

export interface UpstreamServer {
  /** The address as written; default port 80, as nginx gives a `server` without one. */
  raw: string
  address: ParsedAddress
  /** `weight=5` → {weight: '5'}, `backup` → {backup: true}. */
  params: Record<string, string | true>
  file: string
  line: number
  column: number
}

export interface UpstreamBlock {
  name: string
  file: string
  line: number
  column: number
  servers: UpstreamServer[]
  /** The `keepalive N` connection cache size, when set (it needs `fastcgi_keep_conn on`). */
  keepalive?: number
}

/** The http{} upstream blocks, keyed by lower-cased name (nginx matches names case-insensitively). */
export function findUpstreams(config: NginxConfig): Map<string, UpstreamBlock> {
  const upstreams = new Map<string, UpstreamBlock>()
  for (const http of childrenNamed(config.directives, 'http')) {
    for (const block of childrenNamed(http.children, 'upstream')) {
      const name = block.args[0]
      if (name === undefined) continue
      upstreams.set(name.toLowerCase(), toUpstream(name, block))
    }
  }
  return upstreams
}

function toUpstream(name: string, block: NginxDirective): UpstreamBlock {
  const servers = childrenNamed(block.children, 'server')
    .filter((server) => server.args[0] !== undefined)
    .map((server) => ({
      raw: server.args[0]!,
      address: parseNginxAddress(server.args[0]!, 80),
      params: parseServerParams(server.args.slice(1)),
      file: server.file,
      line: server.line,
      column: server.column,
    }))
  const keepalive = childrenNamed(block.children, 'keepalive').at(-1)?.args[0]
  const upstream: UpstreamBlock = {name, file: block.file, line: block.line, column: block.column, servers}
  if (keepalive !== undefined && /^\d+$/.test(keepalive)) upstream.keepalive = Number(keepalive)
  return upstream
}

function parseServerParams(args: string[]): Record<string, string | true> {
  const params: Record<string, string | true> = {}
  for (const arg of args) {
    const equals = arg.indexOf('=')
    if (equals === -1) params[arg] = true
    else params[arg.slice(0, equals)] = arg.slice(equals + 1)
  }
  return params
}
