import {connect, type Socket} from 'node:net'

import {FPMFIX_VERSION} from '../version.js'
import {HttpResponseParser} from './http-response-parser.js'
import {addLatency} from './latency.js'
import type {LoadErrorKind, LoadSample, LoadSpec} from './types.js'

/** Where one load run connects and what it asks for. */
export interface HttpTarget {
  host: string
  port: number
  path: string
  hostHeader: string
}

/** How often in-flight requests are checked against the timeout. */
const TICK_MS = 100

/** The GET every request of a run sends; the path and Host header are checked by the caller. */
export function requestBytes(target: Pick<HttpTarget, 'path' | 'hostHeader'>): Buffer {
  return Buffer.from(
    `GET ${target.path} HTTP/1.1\r\nHost: ${target.hostHeader}\r\nUser-Agent: fpmfix-verify/${FPMFIX_VERSION}\r\nAccept: */*\r\n\r\n`,
    'latin1',
  )
}

/**
 * Load from this process: `concurrency` keep-alive connections, each sending the next GET as soon
 * as the previous answer is complete (as wrk does), reconnecting when the server closes. A request's
 * latency runs from the moment it is due, so a reconnect counts against it. Never rejects.
 */
export function runLoadHere(target: HttpTarget, spec: LoadSpec): Promise<LoadSample> {
  return new Promise((resolve) => new LoadRun(target, spec, resolve).start())
}

class LoadRun {
  readonly request: Buffer
  /** Every connection reads into this; the parser copies what it must keep. */
  readonly readBuffer = Buffer.allocUnsafe(64 * 1024)
  private readonly sample: LoadSample = {
    requests: 0,
    statuses: {},
    errors: {connect: 0, closed: 0, timeout: 0, protocol: 0},
    latencyUs: new Map(),
    elapsedMs: 0,
  }
  private readonly connections: Connection[] = []
  private issued = 0
  private started = 0
  private deadline = Number.POSITIVE_INFINITY
  private ticker: NodeJS.Timeout | undefined
  private finished = false

  constructor(
    readonly target: HttpTarget,
    private readonly spec: LoadSpec,
    private readonly resolve: (sample: LoadSample) => void,
  ) {
    this.request = requestBytes(target)
  }

  start(): void {
    this.started = performance.now()
    if (this.spec.durationMs !== undefined) this.deadline = this.started + this.spec.durationMs
    this.ticker = setInterval(() => this.tick(), Math.min(TICK_MS, this.spec.timeoutMs))
    for (let index = 0; index < this.spec.concurrency; index += 1) this.connections.push(new Connection(this))
    for (const connection of this.connections) this.next(connection)
  }

  /** Give the connection its next request, or let it rest when the run has issued all it may. */
  next(connection: Connection): void {
    const mayIssue =
      (this.spec.requests === undefined || this.issued < this.spec.requests) && performance.now() < this.deadline
    if (mayIssue) {
      this.issued += 1
      connection.send()
      return
    }
    connection.drop()
    if (!this.finished && this.connections.every((entry) => !entry.busy)) this.finish()
  }

  answered(connection: Connection, status: number, keepAlive: boolean): void {
    this.sample.requests += 1
    this.sample.statuses[status] = (this.sample.statuses[status] ?? 0) + 1
    addLatency(this.sample.latencyUs, (performance.now() - connection.dueAt) * 1000)
    if (!keepAlive) connection.drop()
    this.next(connection)
  }

  failed(connection: Connection, kind: LoadErrorKind, message: string): void {
    this.sample.requests += 1
    this.sample.errors[kind] += 1
    this.sample.firstError ??= message
    connection.drop()
    this.next(connection)
  }

  private tick(): void {
    const now = performance.now()
    for (const connection of this.connections) {
      if (connection.busy && now - connection.dueAt >= this.spec.timeoutMs) {
        this.failed(connection, 'timeout', `no complete answer within ${this.spec.timeoutMs} ms`)
      }
    }
  }

  private finish(): void {
    this.finished = true
    clearInterval(this.ticker)
    this.sample.elapsedMs = performance.now() - this.started
    this.resolve(this.sample)
  }
}

/** One client connection slot: at most one request in flight, the socket kept between requests. */
class Connection {
  busy = false
  dueAt = 0
  private socket: Socket | undefined
  private readonly parser = new HttpResponseParser()

  constructor(private readonly run: LoadRun) {}

  send(): void {
    this.busy = true
    this.dueAt = performance.now()
    this.parser.reset()
    if (this.socket === undefined) this.open()
    else this.socket.write(this.run.request)
  }

  /** Forget the socket (its late events are ignored) and end the request in flight, if any. */
  drop(): void {
    this.busy = false
    const socket = this.socket
    this.socket = undefined
    socket?.destroy()
  }

  private received(socket: Socket, buffer: Uint8Array, bytes: number): boolean {
    if (this.socket !== socket || !this.busy) return true
    const step = this.parser.feed(Buffer.from(buffer.buffer, buffer.byteOffset, bytes))
    if (step.kind === 'done') this.run.answered(this, step.status, step.keepAlive)
    else if (step.kind === 'error') this.run.failed(this, 'protocol', step.message)
    return true
  }

  private open(): void {
    const socket: Socket = connect({
      host: this.run.target.host,
      port: this.run.target.port,
      // Read straight into one buffer, past the stream machinery: it runs once per response.
      onread: {
        buffer: this.run.readBuffer,
        callback: (bytes: number, buffer: Uint8Array): boolean => this.received(socket, buffer, bytes),
      },
    })
    this.socket = socket
    socket.setNoDelay(true)
    let connected = false
    let lastError: Error | undefined
    socket.on('connect', () => {
      connected = true
      if (this.socket === socket && this.busy) socket.write(this.run.request)
    })
    socket.on('error', (error) => (lastError = error))
    socket.on('close', () => {
      if (this.socket !== socket) return
      this.socket = undefined
      if (!this.busy) return
      const target = `${this.run.target.host}:${this.run.target.port}`
      if (!connected) {
        this.run.failed(this, 'connect', `cannot connect to ${target}: ${lastError?.message ?? 'closed'}`)
        return
      }
      const step = this.parser.end()
      if (step.kind === 'done') this.run.answered(this, step.status, false)
      else
        this.run.failed(
          this,
          'closed',
          `${target}: ${lastError?.message ?? (step.kind === 'error' ? step.message : '')}`,
        )
    })
  }
}
