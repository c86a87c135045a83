import {request} from 'node:http'
import {connect} from 'node:net'

export interface HttpResult {
  /** 0 when no HTTP response arrived (refused, reset, timed out). */
  status: number
  body: string
  ms: number
  /** Why there is no response, when status is 0. */
  error?: string
}

/** GET http://127.0.0.1:<port><path> on a fresh connection; never throws. */
export function httpGet(port: number, path: string, timeoutMs = 30_000, maxHeaderSize?: number): Promise<HttpResult> {
  const started = performance.now()
  const elapsed = (): number => Math.round(performance.now() - started)
  return new Promise((resolve) => {
    const options = {
      host: '127.0.0.1',
      port,
      path,
      method: 'GET',
      agent: false,
      timeout: timeoutMs,
      ...(maxHeaderSize === undefined ? {} : {maxHeaderSize}),
    }
    const req = request(options, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: elapsed()}),
      )
      res.on('error', (error) => resolve({status: 0, body: '', ms: elapsed(), error: error.message}))
    })
    req.on('timeout', () => req.destroy(new Error(`no response within ${timeoutMs} ms`)))
    req.on('error', (error) => resolve({status: 0, body: '', ms: elapsed(), error: error.message}))
    req.end()
  })
}

/** True when something accepts a TCP connection on <host>:<port> (127.0.0.1 unless given). */
export function tcpAccepts(port: number, timeoutMs = 1_000, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host, port})
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}
