import {resolve} from 'node:path'
import type {Duplex} from 'node:stream'
import type {Client, ParsedKey} from 'ssh2'
import {FpmfixError} from '../../errors.js'
import type {HostConnection, SshHop} from '../../model/target.js'
import type {ExecOptions, ExecResult, Transport} from '../transport.js'
import {ConcurrencyLimit} from './concurrency-limit.js'
import {prepareHostKeyCheck} from './host-key-check.js'
import {openSshClient, type AuthStep, type OpenClientParams, type OpenedClient} from './open-client.js'
import {loadPrivateKey} from './private-key.js'
import {disconnectedError, endpointText, type SshEndpoint} from './ssh-errors.js'
import {becomeCommand, checkSudoResult, execOnClient} from './ssh-exec.js'
import {
  SSH_DEFAULTS,
  defaultAgentSocket,
  defaultKnownHostsFile,
  defaultUser,
  type SshConnectOptions,
} from './ssh-options.js'

export type {SshConnectOptions} from './ssh-options.js'

/** OpenSSH allows 10 sessions per connection (MaxSessions); stay below it. */
const MAX_CONCURRENT_CHANNELS = 8
const MAX_JUMP_DEPTH = 8
const CLOSE_WAIT_MS = 2_000
const closedClients = new WeakSet<Client>()

/**
 * Open one SSH connection (through any jump hosts) and return it as a
 * Transport. Options are used as given; apply ssh config first with
 * `applySshConfig` when the caller wants ~/.ssh/config honoured.
 */
export async function connectSsh(options: SshConnectOptions): Promise<Transport> {
  const chain = [...jumpChain(options, 0), options].map((hop) => inheritDefaults(hop, options))
  const keys = new Map<string, Promise<ParsedKey>>()
  const plans: OpenClientParams[] = []
  // Sequential so that passphrase prompts never overlap.
  for (const hop of chain) plans.push(await planHop(hop, keys))

  const clients: Client[] = []
  const hops: SshHop[] = []
  try {
    let previous: {client: Client; endpoint: SshEndpoint} | undefined
    for (const [index, plan] of plans.entries()) {
      const sock =
        previous === undefined ? undefined : await forwardThrough(previous, plan.endpoint, plan.connectTimeoutMs)
      const opened = await openSshClient(sock === undefined ? plan : {...plan, sock})
      const {client} = opened
      client.once('close', () => closedClients.add(client))
      clients.push(client)
      hops.push(hopRecord(plan, opened, chain[index]!))
      previous = {client, endpoint: plan.endpoint}
    }
  } catch (error) {
    await closeClients(clients)
    throw error
  }
  const target = plans[plans.length - 1]?.endpoint
  if (target === undefined) throw new FpmfixError('INTERNAL', 'no SSH endpoint to connect to')
  const connection: HostConnection = {
    connection: 'ssh',
    become: options.become === true,
    ssh: hops.at(-1)!,
    ...(hops.length > 1 ? {jumpHosts: hops.slice(0, -1)} : {}),
  }
  return new SshTransport(clients, target, options.become === true && target.user !== 'root', connection)
}

/** What a plan records about one hop: where, as whom, with which files, and the key it presented. */
function hopRecord(plan: OpenClientParams, opened: OpenedClient, hop: SshConnectOptions): SshHop {
  const {endpoint} = plan
  const hostKey = plan.hostKeys.presented()
  return {
    name: endpoint.label,
    address: endpoint.host,
    port: endpoint.port,
    user: endpoint.user,
    ...(opened.auth?.kind === 'key-file' ? {privateKeyFile: resolve(opened.auth.file)} : {}),
    knownHostsFile: resolve(hop.knownHostsFile ?? defaultKnownHostsFile()),
    ...(hostKey === undefined ? {} : {hostKey}),
  }
}

function jumpChain(options: SshConnectOptions, depth: number): SshConnectOptions[] {
  const [first, ...rest] = options.proxyJump ?? []
  if (first === undefined) return []
  if (depth >= MAX_JUMP_DEPTH) {
    throw new FpmfixError(
      'SSH_CONFIG',
      `more than ${MAX_JUMP_DEPTH} nested jump hosts for ${options.hostAlias ?? options.host}; is ProxyJump circular?`,
      {
        host: options.hostAlias ?? options.host,
      },
    )
  }
  // As with `ssh -J a,b`, only the first hop's own ProxyJump decides how to reach it.
  return [...jumpChain(first, depth + 1), first, ...rest]
}

/** Jump hosts share the target's trust and timing settings unless they set their own. */
function inheritDefaults(hop: SshConnectOptions, target: SshConnectOptions): SshConnectOptions {
  if (hop === target) return hop
  const inheritsKey = hop.privateKeyFile === undefined && hop.identityFiles === undefined
  return {
    ...hop,
    knownHostsFile: hop.knownHostsFile ?? target.knownHostsFile,
    acceptNewHostKeys: hop.acceptNewHostKeys ?? target.acceptNewHostKeys,
    agent: hop.agent ?? target.agent,
    connectTimeoutMs: hop.connectTimeoutMs ?? target.connectTimeoutMs,
    keepaliveIntervalMs: hop.keepaliveIntervalMs ?? target.keepaliveIntervalMs,
    promptPassphrase: hop.promptPassphrase ?? target.promptPassphrase,
    ...(inheritsKey ? {privateKeyFile: target.privateKeyFile, passphrase: target.passphrase} : {}),
  }
}

async function planHop(hop: SshConnectOptions, keys: Map<string, Promise<ParsedKey>>): Promise<OpenClientParams> {
  const endpoint: SshEndpoint = {
    label: hop.hostAlias ?? hop.host,
    host: hop.host,
    port: hop.port ?? SSH_DEFAULTS.port,
    user: hop.user ?? defaultUser(),
  }
  const authSteps: AuthStep[] = []
  if (hop.privateKeyFile !== undefined) {
    const file = hop.privateKeyFile
    let key = keys.get(file)
    if (key === undefined) {
      key = loadPrivateKey(file, {
        passphrase: hop.passphrase,
        promptPassphrase: hop.promptPassphrase,
        host: endpoint.label,
      })
      keys.set(file, key)
    }
    authSteps.push({kind: 'key', file, key: await key})
  }
  const agent = hop.agent ?? defaultAgentSocket()
  if (agent !== undefined && agent !== '') authSteps.push({kind: 'agent', socket: agent})
  for (const file of hop.identityFiles ?? []) {
    if (file !== hop.privateKeyFile) authSteps.push({kind: 'identity-file', file})
  }
  const hostKeys = await prepareHostKeyCheck({
    knownHostsFile: hop.knownHostsFile ?? defaultKnownHostsFile(),
    acceptNewHostKeys: hop.acceptNewHostKeys === true,
    host: endpoint.host,
    port: endpoint.port,
    label: endpoint.label,
    ...(hop.expectedHostKey === undefined ? {} : {expectedKey: hop.expectedHostKey}),
  })
  return {
    endpoint,
    authSteps,
    hostKeys,
    connectTimeoutMs: hop.connectTimeoutMs ?? SSH_DEFAULTS.connectTimeoutMs,
    keepaliveIntervalMs: hop.keepaliveIntervalMs ?? SSH_DEFAULTS.keepaliveIntervalMs,
    ...(hop.promptPassphrase === undefined ? {} : {promptPassphrase: hop.promptPassphrase}),
  }
}

/** Open a direct-tcpip channel on the jump host to the next host. */
function forwardThrough(
  jump: {client: Client; endpoint: SshEndpoint},
  next: SshEndpoint,
  timeoutMs: number,
): Promise<Duplex> {
  const route = `${endpointText(jump.endpoint)} to ${endpointText(next)}`
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new FpmfixError('SSH_CONNECT_TIMEOUT', `jump host ${route} timed out after ${timeoutMs} ms`, {
          host: next.label,
        }),
      )
    }, timeoutMs)
    jump.client.forwardOut('127.0.0.1', 0, next.host, next.port, (error, channel) => {
      clearTimeout(timer)
      if (error === undefined) {
        resolve(channel)
        return
      }
      const reason = (error as Error & {reason?: number}).reason
      // RFC 4254 reason 2 is SSH_OPEN_CONNECT_FAILED: the jump host could not reach the next one.
      const code = reason === 2 ? 'SSH_CONNECT_REFUSED' : 'SSH_PROTOCOL'
      reject(
        new FpmfixError(code, `jump host could not connect ${route}: ${error.message}`, {
          host: next.label,
          cause: error,
          hint:
            reason === 2
              ? `Check that ${next.host}:${next.port} is reachable from ${jump.endpoint.label} and sshd listens there.`
              : `The jump host may forbid forwarding (AllowTcpForwarding no in its sshd_config).`,
        }),
      )
    })
  })
}

class SshTransport implements Transport {
  readonly kind = 'ssh' as const
  private readonly channels = new ConcurrencyLimit(MAX_CONCURRENT_CHANNELS)
  private lost = false
  private closing: Promise<void> | undefined

  constructor(
    private readonly clients: Client[],
    private readonly target: SshEndpoint,
    private readonly useSudo: boolean,
    readonly connection: HostConnection,
  ) {
    for (const client of clients) {
      client.on('close', () => {
        if (this.closing === undefined) this.lost = true
      })
    }
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.closing !== undefined) {
      throw new FpmfixError('SSH_DISCONNECTED', `the SSH connection to ${this.target.label} was already closed`, {
        host: this.target.label,
      })
    }
    if (this.lost) throw disconnectedError(this.target.label, 'the connection closed earlier')
    const client = this.clients[this.clients.length - 1] as Client
    const wire = this.useSudo ? becomeCommand(command) : command
    const context = {label: this.target.label, connectionLost: () => this.lost}
    const result = await this.channels.run(() => execOnClient(client, wire, options, context))
    return this.useSudo ? checkSudoResult(result, {label: this.target.label, user: this.target.user}) : result
  }

  close(): Promise<void> {
    this.closing ??= closeClients(this.clients)
    return this.closing
  }
}

/** End connections innermost first so each jump channel closes cleanly. */
async function closeClients(clients: readonly Client[]): Promise<void> {
  for (const client of [...clients].reverse()) await endClient(client)
}

function endClient(client: Client): Promise<void> {
  if (closedClients.has(client)) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.destroy()
      resolve()
    }, CLOSE_WAIT_MS)
    client.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
    client.end()
  })
}
