import {
  connect as netConnect,
  createServer as createNetServer,
  type AddressInfo,
  type Server as NetServer,
  type Socket,
} from 'node:net'
import ssh2 from 'ssh2'
import type {Connection, ServerChannel} from 'ssh2'

/** What the fake server answers to one exec request. */
export type ExecReply =
  {stdout?: string | Buffer[]; stderr?: string; exit: number | {signal: string} | 'none'} | 'hang' | 'drop-connection'

export interface FakeSshdOptions {
  /** Private host keys (OpenSSH format); one ed25519 key is generated when absent. */
  hostKeys?: string[]
  /** Public keys ("type base64 comment") allowed to log in, for any user. */
  authorizedKeys: string[]
  /** Decides the reply to each command, after the client closed stdin. */
  respond?: (command: string, stdin: string) => ExecReply
  allowForwarding?: boolean
}

export interface FakeSshdEvents {
  connections: number
  auth: Array<{user: string; method: string}>
  exec: string[]
  stdin: string[]
  signals: string[]
  forwards: string[]
}

export interface FakeSshd {
  port: number
  /** The host public keys, "type base64" each. */
  hostPublicKeys: string[]
  events: FakeSshdEvents
  /** Connections not yet closed. */
  openConnections(): number
  close(): Promise<void>
}

export function generateKeyPair(
  type: 'ed25519' | 'rsa' = 'ed25519',
  passphrase?: string,
): {private: string; public: string} {
  if (type === 'rsa') return ssh2.utils.generateKeyPairSync('rsa', {bits: 2048})
  // ssh2 1.17 strips a leading zero byte of an ed25519 public key (mscdex/ssh2#1513), so about
  // one pair in 256 cannot be parsed back; draw again until both halves parse.
  for (;;) {
    const pair =
      passphrase === undefined
        ? ssh2.utils.generateKeyPairSync('ed25519')
        : ssh2.utils.generateKeyPairSync('ed25519', {passphrase, cipher: 'aes256-ctr', rounds: 2})
    if (
      !(ssh2.utils.parseKey(pair.public) instanceof Error) &&
      !(ssh2.utils.parseKey(pair.private, passphrase) instanceof Error)
    )
      return pair
  }
}

export async function startFakeSshd(options: FakeSshdOptions): Promise<FakeSshd> {
  const hostKeys = options.hostKeys ?? [generateKeyPair().private]
  const hostPublicKeys = hostKeys.map((key) => {
    const parsed = ssh2.utils.parseKey(key)
    if (parsed instanceof Error) throw parsed
    return `${parsed.type} ${parsed.getPublicSSH().toString('base64')}`
  })
  const allowed = options.authorizedKeys.map((line) => {
    const parsed = ssh2.utils.parseKey(line)
    if (parsed instanceof Error) throw parsed
    return parsed
  })
  const events: FakeSshdEvents = {connections: 0, auth: [], exec: [], stdin: [], signals: [], forwards: []}
  const connections = new Set<Connection>()
  const respond = options.respond ?? ((command: string) => ({stdout: `ran: ${command}\n`, exit: 0}))

  // ssh2's server drops signal requests once exec started, so they are read off its protocol debug log.
  const debug = (message: string): void => {
    const signal = /Inbound: CHANNEL_REQUEST \(r:\d+, signal: (\w+)\)/.exec(message)?.[1]
    if (signal !== undefined) events.signals.push(signal)
  }
  const server = new ssh2.Server({hostKeys, debug}, (connection) => {
    events.connections += 1
    connections.add(connection)
    connection.on('close', () => connections.delete(connection))
    connection.on('error', () => undefined)
    connection.on('authentication', (context) => {
      events.auth.push({user: context.username, method: context.method})
      if (context.method !== 'publickey') return context.reject(['publickey'])
      const key = allowed.find(
        (candidate) => candidate.type === context.key.algo && candidate.getPublicSSH().equals(context.key.data),
      )
      if (key === undefined) return context.reject(['publickey'])
      if (context.signature === undefined) return context.accept()
      return key.verify(context.blob as Buffer, context.signature, context.hashAlgo)
        ? context.accept()
        : context.reject(['publickey'])
    })
    connection.on('ready', () => {
      connection.on('session', (acceptSession) => {
        const session = acceptSession()
        session.on('exec', (acceptExec, _reject, info) => {
          events.exec.push(info.command)
          const channel = acceptExec()
          const input: Buffer[] = []
          channel.on('data', (chunk: Buffer) => input.push(chunk))
          channel.on('end', () => {
            const stdin = Buffer.concat(input).toString('utf8')
            events.stdin.push(stdin)
            reply(channel, connection, respond(info.command, stdin))
          })
        })
      })
      // Without a listener ssh2 refuses direct-tcpip itself, as a server with AllowTcpForwarding no would.
      if (options.allowForwarding !== true) return
      connection.on('tcpip', (accept, reject, info) => {
        events.forwards.push(`${info.destIP}:${info.destPort}`)
        const upstream = netConnect(info.destPort, info.destIP)
        upstream.once('error', () => reject())
        upstream.once('connect', () => {
          const channel = accept()
          channel.pipe(upstream).pipe(channel)
          upstream.on('error', () => channel.close())
        })
      })
    })
  })

  const port = await listen(server as unknown as NetServer)
  return {
    port,
    hostPublicKeys,
    events,
    openConnections: () => connections.size,
    close: async () => {
      for (const connection of connections) connection.end()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function reply(channel: ServerChannel, connection: Connection, answer: ExecReply): void {
  if (answer === 'hang') return
  if (answer === 'drop-connection') {
    channel.write('partial output\n')
    setTimeout(() => connection.end(), 20)
    return
  }
  const chunks = typeof answer.stdout === 'string' ? [Buffer.from(answer.stdout)] : (answer.stdout ?? [])
  for (const chunk of chunks) channel.write(chunk)
  if (answer.stderr !== undefined) channel.stderr.write(answer.stderr)
  if (typeof answer.exit === 'number') channel.exit(answer.exit)
  else if (answer.exit !== 'none') channel.exit(answer.exit.signal, false, '')
  channel.end()
}

/** A TCP listener that accepts connections and never says anything. */
export async function startSilentListener(): Promise<{port: number; close(): Promise<void>}> {
  const sockets = new Set<Socket>()
  const server = createNetServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
  })
  const port = await listen(server)
  return {
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A TCP listener that answers like a web server instead of an SSH server. */
export async function startHttpListener(): Promise<{port: number; close(): Promise<void>}> {
  const sockets = new Set<Socket>()
  const server = createNetServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')
  })
  const port = await listen(server)
  return {
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A port on which nothing listens (bound once, then released). */
export async function closedPort(): Promise<number> {
  const server = createNetServer()
  const port = await listen(server)
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

function listen(server: NetServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}
