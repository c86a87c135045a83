import {parseNginxAddress, type NginxAddress} from './address.js'
import type {NginxConfig, NginxDirective, TreePath} from './types.js'
import {findUpstreams, type UpstreamBlock} from './upstream.js'
import {substituteVariable, variablesIn, variableValues, type VariableSource} from './variables.js'
import {childrenNamed, walkNginx} from './walk.js'

export type LiteralTarget =
  NginxAddress | ({kind: 'upstream'} & UpstreamBlock) | {kind: 'invalid'; value: string; reason: string}

export type FastcgiTarget =
  | LiteralTarget
  | {
      kind: 'variable'
      expr: string
      /** Every target the expression can produce; undefined when some variable cannot be followed. */
      resolved?: LiteralTarget[]
      unresolvedReason?: string
      sources: VariableSource[]
    }

export interface FastcgiPass {
  file: string
  line: number
  column: number
  /** Offset of the directive in its file, for the editor. */
  offset: number
  /** The argument as written (after unquoting). */
  raw: string
  target: FastcgiTarget
  server?: {names: string[]; listens: string[][]; file: string; line: number}
  /** The innermost enclosing location. */
  location?: {args: string[]; file: string; line: number}
  /** Names of the enclosing blocks, outermost first: ['http', 'server', 'location', 'if']. */
  context: string[]
  /** Where the directive sits in the assembled tree; use with effectiveDirective. */
  treePath: TreePath
}

const MAX_RESOLVED = 64
const MAX_DEPTH = 4

/** Every `fastcgi_pass` in the assembled tree, with its server, location and parsed target. */
export function findFastcgiPasses(config: NginxConfig): FastcgiPass[] {
  const upstreams = findUpstreams(config)
  const passes: FastcgiPass[] = []
  walkNginx(config.directives, (directive, {ancestors, path}) => {
    if (directive.name !== 'fastcgi_pass' || directive.args[0] === undefined) return
    const raw = directive.args[0]
    const pass: FastcgiPass = {
      file: directive.file,
      line: directive.line,
      column: directive.column,
      offset: directive.start,
      raw,
      target: resolveTarget(config, upstreams, ancestors, raw),
      context: ancestors.map((ancestor) => ancestor.name),
      treePath: path,
    }
    const server = ancestors.findLast((ancestor) => ancestor.name === 'server')
    if (server) pass.server = describeServer(server)
    const location = ancestors.findLast((ancestor) => ancestor.name === 'location')
    if (location) pass.location = {args: location.args, file: location.file, line: location.line}
    passes.push(pass)
  })
  return passes
}

function describeServer(server: NginxDirective): NonNullable<FastcgiPass['server']> {
  return {
    names: childrenNamed(server.children, 'server_name').flatMap((directive) => directive.args),
    listens: childrenNamed(server.children, 'listen').map((directive) => directive.args),
    file: server.file,
    line: server.line,
  }
}

function resolveTarget(
  config: NginxConfig,
  upstreams: Map<string, UpstreamBlock>,
  ancestors: NginxDirective[],
  raw: string,
): FastcgiTarget {
  if (variablesIn(raw).length === 0) return literalTarget(upstreams, raw)
  const sources: VariableSource[] = []
  const expansions = expand(config, ancestors, raw, sources, 0)
  const target: FastcgiTarget = {kind: 'variable', expr: raw, sources}
  if (typeof expansions === 'string') return {...target, unresolvedReason: expansions}
  const resolved = new Map<string, LiteralTarget>()
  for (const value of expansions) resolved.set(value, literalTarget(upstreams, value))
  return {...target, resolved: [...resolved.values()]}
}

/** An upstream block of that name wins over an address, as in ngx_http_upstream_add. */
function literalTarget(upstreams: Map<string, UpstreamBlock>, value: string): LiteralTarget {
  const upstream = upstreams.get(value.toLowerCase())
  if (upstream) return {kind: 'upstream', ...upstream}
  if (value === '') return {kind: 'invalid', value, reason: 'empty value (no map default matched)'}
  return parseNginxAddress(value)
}

/** All fully substituted values of `value`, or the reason it cannot be followed. */
function expand(
  config: NginxConfig,
  ancestors: NginxDirective[],
  value: string,
  sources: VariableSource[],
  depth: number,
): string[] | string {
  const [name] = variablesIn(value)
  if (name === undefined) return [value]
  if (depth >= MAX_DEPTH) return `variables nest deeper than ${MAX_DEPTH} levels in "${value}"`
  const found = variableValues(config, ancestors, name)
  if (!found) return `$${name} is not set by any set, map, geo or split_clients this location sees`
  sources.push(...found.sources.filter((source) => !sources.some((known) => sameSource(known, source))))
  const out = new Set<string>()
  for (const candidate of found.values) {
    const inner = expand(config, ancestors, candidate, sources, depth + 1)
    if (typeof inner === 'string') return inner
    for (const replacement of inner) {
      const rest = expand(config, ancestors, substituteVariable(value, name, replacement), sources, depth)
      if (typeof rest === 'string') return rest
      rest.forEach((item) => out.add(item))
      if (out.size > MAX_RESOLVED) return `"${value}" has more than ${MAX_RESOLVED} possible values`
    }
  }
  return [...out]
}

function sameSource(a: VariableSource, b: VariableSource): boolean {
  return a.variable === b.variable && a.file === b.file && a.line === b.line
}
