import {FpmfixError} from '../../errors.js'

/** The settings fpmfix takes from `ssh -G` output, before any file-system checks. */
export interface SshGSettings {
  hostName?: string
  user?: string
  port?: number
  /** IdentityFile values with `~` and %-tokens expanded, in ssh's order. */
  identityFiles: string[]
  /** The raw ProxyJump value (comma list of [user@]host[:port] or ssh:// URIs). */
  proxyJump?: string
  proxyCommand?: string
  knownHostsFile?: string
  connectTimeoutMs?: number
  /** undefined: ssh's default (SSH_AUTH_SOCK); '': agent disabled. */
  agent?: string
}

export interface ExpansionContext {
  alias: string
  home: string
  localUser: string
  localHost: string
  env: Record<string, string | undefined>
}

export interface JumpSpec {
  host: string
  user?: string
  port?: number
}

/** `ssh -G` prints one lower-case `keyword value` pair per line; repeated keywords keep every value. */
export function parseSshGLines(output: string): Map<string, string[]> {
  const values = new Map<string, string[]>()
  for (const line of output.split('\n')) {
    const match = /^(\S+)\s+(.*)$/.exec(line.trim())
    if (match === null) continue
    const [, keyword = '', value = ''] = match
    const key = keyword.toLowerCase()
    values.set(key, [...(values.get(key) ?? []), value])
  }
  return values
}

export function sshGSettings(output: string, context: ExpansionContext): SshGSettings {
  const values = parseSshGLines(output)
  const first = (key: string): string | undefined => values.get(key)?.[0]
  const hostName = first('hostname')
  const user = first('user')
  const port = first('port')
  const tokens = {hostName: hostName ?? context.alias, user: user ?? context.localUser, port: port ?? '22'}
  const settings: SshGSettings = {
    identityFiles: (values.get('identityfile') ?? []).map((file) => expandPath(file, context, tokens)),
  }
  if (hostName !== undefined) settings.hostName = hostName
  if (user !== undefined) settings.user = user
  if (port !== undefined && /^\d+$/.test(port)) settings.port = Number(port)
  const proxyJump = first('proxyjump')
  if (proxyJump !== undefined && proxyJump !== 'none') settings.proxyJump = proxyJump
  const proxyCommand = first('proxycommand')
  if (proxyCommand !== undefined && proxyCommand !== 'none') settings.proxyCommand = proxyCommand
  const knownHosts = first('userknownhostsfile')?.split(/\s+/)[0]
  if (knownHosts !== undefined && knownHosts !== '' && knownHosts !== 'none') {
    settings.knownHostsFile = expandPath(knownHosts, context, tokens)
  }
  const timeout = first('connecttimeout')
  if (timeout !== undefined && /^\d+$/.test(timeout) && Number(timeout) > 0)
    settings.connectTimeoutMs = Number(timeout) * 1000
  const agent = first('identityagent')
  if (agent !== undefined) {
    const resolved = identityAgent(agent, context, tokens)
    if (resolved !== undefined) settings.agent = resolved
  }
  return settings
}

function identityAgent(value: string, context: ExpansionContext, tokens: Tokens): string | undefined {
  if (value === 'none') return ''
  if (value === 'SSH_AUTH_SOCK') return undefined
  if (value.startsWith('$')) return context.env[value.slice(1).replace(/^\{(.*)\}$/, '$1')] ?? ''
  return expandPath(value, context, tokens)
}

interface Tokens {
  hostName: string
  user: string
  port: string
}

/** Expand `~` and the ssh_config(5) TOKENS that identity files commonly use; unknown tokens stay as written. */
export function expandPath(path: string, context: ExpansionContext, tokens: Tokens): string {
  const withHome = path === '~' || path.startsWith('~/') ? context.home + path.slice(1) : path
  const table: Record<string, string> = {
    '%': '%',
    d: context.home,
    u: context.localUser,
    l: context.localHost,
    h: tokens.hostName,
    n: context.alias,
    r: tokens.user,
    p: tokens.port,
  }
  return withHome.replace(/%(.)/g, (whole, token: string) => table[token] ?? whole)
}

/** Split a ProxyJump value into hops, outermost first. */
export function parseProxyJump(value: string): JumpSpec[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(parseJumpSpec)
}

/** `[user@]host[:port]`, `[user@][v6addr]:port` or `ssh://[user@]host[:port]`. */
export function parseJumpSpec(spec: string): JumpSpec {
  const rest = spec.startsWith('ssh://') ? spec.slice('ssh://'.length).replace(/\/$/, '') : spec
  const at = rest.lastIndexOf('@')
  const user = at === -1 ? undefined : rest.slice(0, at)
  const address = at === -1 ? rest : rest.slice(at + 1)
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(address) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(address)
  const host = match?.[1]
  if (host === undefined || user === '') {
    throw new FpmfixError('SSH_CONFIG', `cannot parse jump host "${spec}"`, {
      hint: 'ProxyJump takes a comma-separated list of [user@]host[:port] or ssh://[user@]host[:port].',
    })
  }
  const port = match?.[2]
  return {host, ...(user === undefined ? {} : {user}), ...(port === undefined ? {} : {port: Number(port)})}
}
