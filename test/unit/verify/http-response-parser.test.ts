import {describe, expect, it} from 'vitest'

import {HttpResponseParser, parseHead, type ParseStep} from '../../../src/verify/http-response-parser.js'

/** Feed `text` in pieces of `size` bytes; the steps that were not 'more'. */
function feedInPieces(parser: HttpResponseParser, text: string, size: number): ParseStep[] {
  const bytes = Buffer.from(text, 'latin1')
  const steps: ParseStep[] = []
  for (let offset = 0; offset < bytes.length; offset += size) {
    const step = parser.feed(bytes.subarray(offset, offset + size))
    if (step.kind !== 'more') steps.push(step)
  }
  return steps
}

const CHUNKED =
  'HTTP/1.1 200 OK\r\nServer: nginx\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n' +
  '2\r\nok\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n'
const LENGTH = 'HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 10\r\n\r\n0123456789'

describe('HTTP response framing', () => {
  it.each([1, 2, 3, 7, 64, 4096])('finds the end of chunked and sized responses fed %d bytes at a time', (size) => {
    const parser = new HttpResponseParser()
    expect(feedInPieces(parser, CHUNKED, size)).toEqual([{kind: 'done', status: 200, keepAlive: true}])
    expect(feedInPieces(parser, LENGTH, size)).toEqual([{kind: 'done', status: 502, keepAlive: true}])
  })

  it('waits for the last byte of the body', () => {
    const parser = new HttpResponseParser()
    expect(parser.feed(Buffer.from(LENGTH.slice(0, -1)))).toEqual({kind: 'more'})
    expect(parser.feed(Buffer.from('9'))).toEqual({kind: 'done', status: 502, keepAlive: true})
  })

  it('skips 100 Continue and reads the final answer', () => {
    const parser = new HttpResponseParser()
    const text = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'
    expect(parser.feed(Buffer.from(text))).toEqual({kind: 'done', status: 204, keepAlive: true})
  })

  it('honours Connection: close and HTTP/1.0 defaults', () => {
    const parser = new HttpResponseParser()
    expect(parser.feed(Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'))).toEqual({
      kind: 'done',
      status: 200,
      keepAlive: false,
    })
    expect(parser.feed(Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n'))).toMatchObject({keepAlive: false})
    expect(
      parser.feed(Buffer.from('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n')),
    ).toMatchObject({keepAlive: true})
  })

  it('reads a body without length or chunking until the connection closes', () => {
    const parser = new HttpResponseParser()
    expect(parser.feed(Buffer.from('HTTP/1.1 500 Internal Server Error\r\n\r\npartial'))).toEqual({kind: 'more'})
    expect(parser.feed(Buffer.from(' body'))).toEqual({kind: 'more'})
    expect(parser.end()).toEqual({kind: 'done', status: 500, keepAlive: false})
  })

  it('tells a connection closed before any byte from one closed mid-response', () => {
    const parser = new HttpResponseParser()
    expect(parser.end()).toEqual({kind: 'error', message: 'connection closed before any response'})
    parser.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok'))
    expect(parser.end()).toEqual({kind: 'error', message: 'connection closed in the middle of a response'})
  })

  it.each([
    ['SSH-2.0-OpenSSH_9.2\r\n\r\n', /not an HTTP\/1.x status line/],
    ['HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n', /bad Content-Length/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /bad chunk size line/],
  ])('calls %j malformed', (text, why) => {
    const step = new HttpResponseParser().feed(Buffer.from(text))
    expect(step.kind).toBe('error')
    expect(step.kind === 'error' && step.message).toMatch(why)
  })

  it('prefers chunked framing over Content-Length, as RFC 9112 says', () => {
    expect(parseHead('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: gzip, chunked')).toMatchObject({
      body: {kind: 'chunked'},
    })
  })
})
