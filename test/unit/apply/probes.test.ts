import {spawn, spawnSync} from 'node:child_process'
import {copyFileSync, mkdirSync, symlinkSync} from 'node:fs'
import {createServer as createHttpServer, type Server as HttpServer} from 'node:http'
import {createServer, type Server, type Socket} from 'node:net'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'

import {PROBE_CLIENTS} from '../../../src/apply/payload.js'
import {runRuntime, runtimeScratch, SHELLS} from './runtime-support.js'
import {cleanupTemps, scratchHost} from './support.js'

const CLIENTS = fileURLToPath(new URL('../../../src/apply/runtime/probes/', import.meta.url))
const FASTCGI_CLIENT = join(CLIENTS, 'fastcgi-client.php')
const HTTP_CLIENT = join(CLIENTS, 'http-client.php')

const hasPhp = spawnSync('sh', ['-c', 'command -v php']).status === 0
const servers: Array<Server | HttpServer> = []

afterEach(() => {
  for (const server of servers.splice(0)) server.close()
  cleanupTemps()
})

/** One of the probe clients, run the way the runtime runs it: `php -n FILE ARGS`. */
function runPhp(file: string, args: string[]): Promise<{status: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    const child = spawn('php', ['-n', file, ...args])
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('close', (status) => resolve({status, stdout, stderr}))
  })
}

function record(type: number, body: Buffer, padding = 0): Buffer {
  const header = Buffer.from([1, type, 0, 1, body.length >> 8, body.length & 0xff, padding, 0])
  return Buffer.concat([header, body, Buffer.alloc(padding)])
}

/** Parses FastCGI name-value pairs (1- or 4-byte lengths). */
function parseParams(data: Buffer): Map<string, string> {
  const params = new Map<string, string>()
  let offset = 0
  const length = (): number => {
    const first = data[offset]!
    if (first < 128) return ((offset += 1), first)
    const value = data.readUInt32BE(offset) & 0x7fffffff
    offset += 4
    return value
  }
  while (offset < data.length) {
    const nameLength = length()
    const valueLength = length()
    params.set(
      data.subarray(offset, offset + nameLength).toString(),
      data.subarray(offset + nameLength, offset + nameLength + valueLength).toString(),
    )
    offset += nameLength + valueLength
  }
  return params
}

/** A FastCGI responder on a unix socket: collects the request, then answers with `reply(params)`. */
async function fastcgiServer(
  path: string,
  reply: (params: Map<string, string>, socket: Socket) => void,
): Promise<void> {
  const server = createServer((socket) => {
    let buffered = Buffer.alloc(0)
    let params = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      while (buffered.length >= 8) {
        const length = buffered.readUInt16BE(4)
        const total = 8 + length + buffered[6]!
        if (buffered.length < total) return
        const type = buffered[1]!
        const body = buffered.subarray(8, 8 + length)
        buffered = buffered.subarray(total)
        if (type === 4) params = Buffer.concat([params, body])
        if (type === 5 && length === 0) reply(parseParams(params), socket)
      }
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(path, resolve))
}

describe.skipIf(!hasPhp)('FastCGI probe client (php -n fastcgi-client.php)', () => {
  it('sends a GET for the path and accepts any well-formed response, reporting its status', async () => {
    const path = join(scratchHost().root, 'fcgi.sock')
    let seen = new Map<string, string>()
    await fastcgiServer(path, (params, socket) => {
      seen = params
      socket.write(
        record(6, Buffer.from('Status: 404 Not Found\r\nContent-type: text/html\r\n\r\nFile not found.\n'), 3),
      )
      socket.write(record(7, Buffer.from('Primary script unknown')))
      socket.end(record(3, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0])))
    })

    const result = await runPhp(FASTCGI_CLIENT, [`unix://${path}`, '/fpmfix-probe.php', '5'])

    expect(result).toMatchObject({status: 0, stderr: ''})
    expect(result.stdout).toBe(`FastCGI unix://${path} /fpmfix-probe.php: status 404; stderr: Primary script unknown\n`)
    expect(seen.get('SCRIPT_NAME')).toBe('/fpmfix-probe.php')
    expect(seen.get('REQUEST_METHOD')).toBe('GET')
  })

  it('fails when nothing listens, when the pool hangs up early, and on garbage', async () => {
    const root = scratchHost().root
    const closes = join(root, 'closes.sock')
    const garbage = join(root, 'garbage.sock')
    await fastcgiServer(closes, (_params, socket) => socket.end(record(6, Buffer.from('Status: 200\r\n\r\n'))))
    await fastcgiServer(garbage, (_params, socket) => socket.end(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')))

    const missing = await runPhp(FASTCGI_CLIENT, [`unix://${join(root, 'none.sock')}`, '/x.php', '2'])
    const early = await runPhp(FASTCGI_CLIENT, [`unix://${closes}`, '/x.php', '2'])
    const bad = await runPhp(FASTCGI_CLIENT, [`unix://${garbage}`, '/x.php', '2'])

    expect(missing.status).toBe(2)
    expect(missing.stderr).toContain('cannot connect to unix://')
    expect(early).toMatchObject({status: 4, stderr: expect.stringContaining('connection closed')})
    expect(bad).toMatchObject({status: 5, stderr: expect.stringContaining('malformed FastCGI record')})
  })
})

async function httpServer(status: number): Promise<number> {
  const server = createHttpServer((_req, res) => {
    res.writeHead(status)
    res.end('body')
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return typeof address === 'object' && address ? address.port : 0
}

/** Runs the runtime's probe_http with only the named tools on PATH (plus what the runtime itself needs). */
async function probeHttpWith(
  shell: string[],
  tools: string[],
  url: string,
): Promise<{status: number | null; stdout: string}> {
  const scratch = runtimeScratch()
  const bin = join(scratchHost().root, 'tools')
  mkdirSync(bin)
  for (const tool of [...tools, 'sed', 'tail', 'cat', 'date', 'sleep', 'sha256sum', 'readlink']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`])
      .stdout.toString()
      .trim()
    if (found) symlinkSync(found, join(bin, tool))
  }
  mkdirSync(join(scratch.dir, 'probes'))
  for (const client of PROBE_CLIENTS) copyFileSync(join(CLIENTS, client), join(scratch.dir, 'probes', client))
  const run = await runRuntime(shell, scratch, `probe_http '${url}' ''`, bin)
  return {status: run.status, stdout: run.stdout}
}

const available = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0
const clients = ['curl', 'wget', 'php'].filter(available)

describe('HTTP probe', () => {
  const cases = clients.flatMap((tool) => SHELLS.map((shell) => [tool, shell.join(' '), shell] as const))
  it.each(cases)('passes a 200 and fails a 502 using %s under %s', async (tool, _name, shell) => {
    const ok = await httpServer(200)
    const bad = await httpServer(502)
    expect(await probeHttpWith(shell, [tool], `http://127.0.0.1:${ok}/index.php`)).toEqual({
      status: 0,
      stdout: `GET http://127.0.0.1:${ok}/index.php: 200\n`,
    })
    expect(await probeHttpWith(shell, [tool], `http://127.0.0.1:${bad}/`)).toEqual({
      status: 1,
      stdout: `GET http://127.0.0.1:${bad}/: 502\n`,
    })
  })

  it.skipIf(!hasPhp)('fails when nothing answers', async () => {
    const port = await httpServer(200)
    servers.pop()?.close()
    const result = await probeHttpWith(SHELLS[0]!, ['php'], `http://127.0.0.1:${port}/`)
    expect(result.status).toBe(1)
    expect(result.stdout).toContain('no HTTP response')
  })

  it.skipIf(!hasPhp)('reads the status line in the PHP fallback client', async () => {
    const port = await httpServer(504)
    expect((await runPhp(HTTP_CLIENT, [`http://127.0.0.1:${port}/a?b=c`, 'example.org', '5'])).stdout).toBe('504')
  })
})
