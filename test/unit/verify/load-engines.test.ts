import {createServer, type Server, type Socket} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createLocalTransport} from '../../../src/transport/local.js'
import {runLoadHere, type HttpTarget} from '../../../src/verify/load-here.js'
import {runLoadOnHost} from '../../../src/verify/load-on-host.js'
import type {LoadSample, LoadSpec} from '../../../src/verify/types.js'

/*
 * Both load engines — this process, and runtime/http-load.php as a host runs it (here through the
 * local transport and this machine's PHP CLI) — against one scripted HTTP server on loopback:
 * the same traffic must give the same counts.
 */

/** Responses by request number (mod 10): framing of every kind, keep-alive and close, split writes. */
function respond(socket: Socket, index: number): void {
  const kind = index % 10
  if (kind <= 5) {
    socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n')
  } else if (kind === 6) {
    socket.write('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 11\r\n\r\nBad Gateway')
  } else if (kind === 7) {
    socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok')
  } else if (kind === 8) {
    socket.end('HTTP/1.1 504 Gateway Time-out\r\nContent-Type: text/html\r\n\r\n<html>timeout</html>')
  } else {
    // Chained: timers of different lengths may fire out of order on a busy machine.
    socket.write('HTTP/1.1 404 Not Found\r\nTransfer-')
    setTimeout(() => {
      socket.write('Encoding: chunked\r\n\r\n4\r\nnope\r')
      setTimeout(() => socket.write('\n0\r\n\r\n'), 5)
    }, 5)
  }
}

let served = 0
const requestsSeen: string[] = []

const open = new Set<Socket>()

function handle(socket: Socket): void {
  open.add(socket)
  socket.on('close', () => open.delete(socket))
  let buffered = ''
  socket.on('error', () => undefined)
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('latin1')
    let end: number
    while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
      const head = buffered.slice(0, end)
      buffered = buffered.slice(end + 4)
      requestsSeen.push(head)
      const path = head.split(' ')[1]
      if (path === '/drop') socket.destroy()
      else if (path === '/hang') continue
      else respond(socket, served++)
    }
  })
}

let server: Server
let port = 0

beforeAll(async () => {
  server = createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as {port: number}).port
})

afterAll(async () => {
  for (const socket of open) socket.destroy()
  await new Promise((resolve) => server.close(resolve))
})

const ENGINES = {
  here: (target: HttpTarget, spec: LoadSpec) => runLoadHere(target, spec),
  host: async (target: HttpTarget, spec: LoadSpec) => {
    const transport = createLocalTransport()
    try {
      return await runLoadOnHost(transport, target, spec, {host: 'this machine', phpCandidates: ['php']})
    } finally {
      await transport.close()
    }
  },
}

const answered = (sample: LoadSample): number => Object.values(sample.statuses).reduce((sum, n) => sum + n, 0)

describe.each(Object.entries(ENGINES))('the %s load engine', (_name, run) => {
  const target = (path: string): HttpTarget => ({host: '127.0.0.1', port, path, hostHeader: 'shop.example.com'})

  it('counts every answer by status across keep-alive, close, chunked, sized and split responses', async () => {
    served = 0
    requestsSeen.length = 0
    const sample = await run(target('/index.php'), {concurrency: 4, requests: 300, timeoutMs: 10_000})
    expect({statuses: sample.statuses, errors: sample.errors}, sample.firstError).toEqual({
      statuses: {200: 210, 404: 30, 502: 30, 504: 30},
      errors: {connect: 0, closed: 0, timeout: 0, protocol: 0},
    })
    expect(sample.requests).toBe(300)
    expect([...sample.latencyUs.values()].reduce((sum, n) => sum + n, 0)).toBe(300)
    expect(requestsSeen).toHaveLength(300)
    expect(requestsSeen[0]).toMatch(/^GET \/index\.php HTTP\/1\.1\r\nHost: shop\.example\.com\r\n/)
  })

  it('keeps to the duration, then lets the requests in flight finish', async () => {
    served = 0
    const sample = await run(target('/index.php'), {concurrency: 2, durationMs: 400, timeoutMs: 10_000})
    expect(sample.elapsedMs).toBeGreaterThanOrEqual(400)
    expect(sample.elapsedMs).toBeLessThan(5_000)
    expect(answered(sample)).toBe(sample.requests)
    expect(sample.requests).toBeGreaterThan(2)
  })

  it('counts a refused connection as a connect error, with the reason', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const freePort = (closed.address() as {port: number}).port
    await new Promise((resolve) => closed.close(resolve))
    const sample = await run({...target('/'), port: freePort}, {concurrency: 3, requests: 20, timeoutMs: 5_000})
    expect(sample.errors.connect).toBe(20)
    expect(sample.requests).toBe(20)
    expect(sample.firstError).toMatch(/connect.*ECONNREFUSED|Connection refused/i)
  })

  it('counts a connection closed without an answer, and a request never answered as a timeout', async () => {
    const dropped = await run(target('/drop'), {concurrency: 2, requests: 10, timeoutMs: 5_000})
    expect(dropped.errors).toMatchObject({closed: 10, timeout: 0})
    const hung = await run(target('/hang'), {concurrency: 2, requests: 2, timeoutMs: 300})
    expect(hung.errors).toMatchObject({timeout: 2, closed: 0})
    expect(hung.elapsedMs).toBeGreaterThanOrEqual(300)
    expect(hung.firstError).toBe('no complete answer within 300 ms')
  })
})
