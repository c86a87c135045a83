import {createServer, type Server, type Socket} from 'node:net'
import {allocateFreePorts} from '../lab/ports.js'

/** A loopback port nothing listens on: connecting to it is refused at once. */
export async function refusedPort(): Promise<number> {
  const [port] = await allocateFreePorts(1)
  if (port === undefined) throw new Error('no free port')
  return port
}

export interface SilentListener {
  port: number
  /** Connections accepted so far. */
  readonly accepted: number
  close(): Promise<void>
}

/**
 * A TCP listener that accepts connections and never says a word: what a host whose sshd hangs,
 * or a firewall that holds the connection, looks like to a client waiting for the SSH banner.
 */
export async function silentListener(): Promise<SilentListener> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server: Server = createServer((socket) => {
    accepted++
    sockets.add(socket)
    socket.on('error', () => undefined)
    socket.once('close', () => sockets.delete(socket))
  })
  const port = await refusedPort()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({host: '127.0.0.1', port, exclusive: true}, () => resolve())
  })
  return {
    port,
    get accepted() {
      return accepted
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
