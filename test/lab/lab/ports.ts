import {readFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {LabError} from './lab-error.js'

const LOWEST_PORT = 10_000
/** Ports handed out by this process, so two labs started side by side never share one. */
const handedOut = new Set<number>()

/**
 * Distinct free TCP ports on 127.0.0.1, each checked by binding it. They are picked below the
 * kernel's ephemeral range, so an outgoing connection (an ssh client, an HTTP probe) cannot
 * take one in the moment between this check and the lab service binding it.
 */
export async function allocateFreePorts(count: number): Promise<number[]> {
  const highest = ephemeralRangeStart() - 1
  if (highest - LOWEST_PORT < count * 4) throw new LabError(`too few ports below the ephemeral range (${highest})`)
  const ports: number[] = []
  for (let attempts = 0; ports.length < count; attempts++) {
    if (attempts > count * 50) throw new LabError(`found only ${ports.length} of ${count} free ports on 127.0.0.1`)
    const port = LOWEST_PORT + Math.floor(Math.random() * (highest - LOWEST_PORT + 1))
    if (handedOut.has(port) || !(await canBind(port))) continue
    handedOut.add(port)
    ports.push(port)
  }
  return ports
}

function ephemeralRangeStart(): number {
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)
    return Number(start) || 32_768
  } catch {
    return 32_768
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({host: '127.0.0.1', port, exclusive: true}, () => server.close(() => resolve(true)))
  })
}
