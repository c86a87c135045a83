/** What feeding bytes to the parser gave: need more, one whole response, or a malformed one. */
export type ParseStep =
  {kind: 'more'} | {kind: 'done'; status: number; keepAlive: boolean} | {kind: 'error'; message: string}

type State = 'head' | 'chunk-size' | 'chunk-data' | 'trailer' | 'body' | 'until-close'

/** Headers and chunk-size lines longer than this are not from a web server worth waiting for. */
const MAX_HEAD_BYTES = 1024 * 1024
const MORE: ParseStep = {kind: 'more'}

interface Head {
  status: number
  keepAlive: boolean
  body: {kind: 'none'} | {kind: 'chunked'} | {kind: 'length'; bytes: number} | {kind: 'until-close'}
}

/** Status line and the few headers that frame the body (RFC 9112 §6.3), or why they cannot be read. */
export function parseHead(text: string): Head | {error: string} {
  const lines = text.split('\r\n')
  const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0] ?? '')
  if (!statusLine) return {error: `not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`}
  const status = Number(statusLine[2])
  let keepAlive = statusLine[1] === '1'
  let length: number | undefined
  let chunked = false
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line
      .slice(colon + 1)
      .trim()
      .toLowerCase()
    if (name === 'content-length') {
      if (!/^\d+$/.test(value)) return {error: `bad Content-Length: ${value}`}
      length = Number(value)
    } else if (name === 'transfer-encoding') {
      chunked = /(?:^|,)\s*chunked$/.test(value)
    } else if (name === 'connection') {
      const tokens = value.split(',').map((token) => token.trim())
      if (tokens.includes('close')) keepAlive = false
      else if (tokens.includes('keep-alive')) keepAlive = true
    }
  }
  if ((status >= 100 && status < 200) || status === 204 || status === 304)
    return {status, keepAlive, body: {kind: 'none'}}
  if (chunked) return {status, keepAlive, body: {kind: 'chunked'}}
  if (length !== undefined) return {status, keepAlive, body: {kind: 'length', bytes: length}}
  return {status, keepAlive: false, body: {kind: 'until-close'}}
}

/**
 * An incremental HTTP/1.1 response reader for a client that sends one request at a time on a
 * connection: it frames the body (length, chunked, until close) and skips it, keeping only what
 * the load figures need. 1xx interim responses are skipped.
 */
export class HttpResponseParser {
  private state: State = 'head'
  private pending: Buffer | undefined
  private remaining = 0
  private status = 0
  private keepAlive = true
  /** Some byte of the current response arrived. */
  started = false

  reset(): void {
    this.state = 'head'
    this.pending = undefined
    this.remaining = 0
    this.started = false
  }

  feed(chunk: Buffer): ParseStep {
    this.started = true
    const data = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk])
    this.pending = undefined
    let offset = 0
    for (;;) {
      switch (this.state) {
        case 'head': {
          const end = data.indexOf('\r\n\r\n', offset, 'latin1')
          if (end < 0) return this.wait(data, offset, 'response headers')
          const head = parseHead(data.toString('latin1', offset, end))
          offset = end + 4
          if ('error' in head) return {kind: 'error', message: head.error}
          if (head.status < 200 && head.status !== 101) continue
          this.status = head.status
          this.keepAlive = head.keepAlive
          if (head.body.kind === 'none') return this.done()
          if (head.body.kind === 'chunked') this.state = 'chunk-size'
          else if (head.body.kind === 'until-close') this.state = 'until-close'
          else if (head.body.bytes === 0) return this.done()
          else {
            this.state = 'body'
            this.remaining = head.body.bytes
          }
          break
        }
        case 'chunk-size': {
          const eol = data.indexOf('\r\n', offset, 'latin1')
          if (eol < 0) return this.wait(data, offset, 'a chunk size line')
          const line = data.toString('latin1', offset, eol)
          offset = eol + 2
          const size = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/.exec(line)
          if (!size) return {kind: 'error', message: `bad chunk size line: ${JSON.stringify(line.slice(0, 40))}`}
          const bytes = Number.parseInt(size[1]!, 16)
          if (bytes === 0) this.state = 'trailer'
          else {
            this.state = 'chunk-data'
            // The chunk and the CRLF after it.
            this.remaining = bytes + 2
          }
          break
        }
        case 'chunk-data':
        case 'body': {
          const available = data.length - offset
          if (available < this.remaining) {
            this.remaining -= available
            return MORE
          }
          offset += this.remaining
          this.remaining = 0
          if (this.state === 'body') return this.done()
          this.state = 'chunk-size'
          break
        }
        case 'trailer': {
          const eol = data.indexOf('\r\n', offset, 'latin1')
          if (eol < 0) return this.wait(data, offset, 'the chunked trailer')
          const blank = eol === offset
          offset = eol + 2
          if (blank) return this.done()
          break
        }
        case 'until-close':
          return MORE
      }
    }
  }

  /** The connection closed: a body framed by the close is complete; anything else was cut short. */
  end(): ParseStep {
    if (this.state === 'until-close') return this.done()
    return {
      kind: 'error',
      message: this.started ? 'connection closed in the middle of a response' : 'connection closed before any response',
    }
  }

  private wait(data: Buffer, offset: number, what: string): ParseStep {
    if (data.length - offset > MAX_HEAD_BYTES) return {kind: 'error', message: `${what} longer than 1 MiB`}
    // A copy: the caller may reuse the buffer it fed.
    this.pending = Buffer.from(data.subarray(offset))
    return MORE
  }

  private done(): ParseStep {
    const step: ParseStep = {kind: 'done', status: this.status, keepAlive: this.keepAlive}
    this.reset()
    return step
  }
}
