import type {NginxErrorEvent, NginxEventKind, UpstreamAddress} from '../model/log-events.js'
import {parseNginxTime} from './log-time.js'

const HEAD = /^(\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}) \[(\w+)\] (\d+)#(\d+): (?:\*(\d+) )?(.*)$/
const FIELD_NAMES = ['client', 'server', 'request', 'subrequest', 'upstream', 'host', 'referrer'] as const

/** `fastcgi://unix:/run/php/php8.1-fpm.sock:` or `fastcgi://127.0.0.1:9000` → address. */
export function parseUpstreamField(value: string): UpstreamAddress | undefined {
  const withoutScheme = value.replace(/^[a-z]+:\/\//, '')
  if (withoutScheme.startsWith('unix:')) {
    const path = withoutScheme.slice('unix:'.length).replace(/:.*$/, '')
    return {kind: 'unix', path}
  }
  const match = /^(\[[^\]]+\]|[^:/]+):(\d+)/.exec(withoutScheme)
  if (!match) return undefined
  return {kind: 'tcp', host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2])}
}

function splitFields(rest: string): {message: string; fields: Record<string, string>} {
  const fields: Record<string, string> = {}
  const first = rest.indexOf(', client: ')
  if (first === -1) return {message: rest, fields}
  const message = rest.slice(0, first)
  const pattern = new RegExp(`, (${FIELD_NAMES.join('|')}): ("(?:[^"\\\\]|\\\\.)*"|[^,]*)`, 'g')
  for (const match of rest.slice(first).matchAll(pattern)) {
    fields[match[1]!] = match[2]!.replace(/^"|"$/g, '')
  }
  return {message, fields}
}

function classify(message: string): {kind: NginxEventKind; errno?: number; action?: string; address?: UpstreamAddress} {
  const action = /\bwhile ((?:connecting to|sending request to|reading response header from|reading) upstream)/.exec(
    message,
  )?.[1]
  const errno = /\((\d+): [^)]*\)/.exec(message)?.[1]
  const base = {...(action === undefined ? {} : {action}), ...(errno === undefined ? {} : {errno: Number(errno)})}
  const connect = /^connect\(\) (?:to (\S+) )?failed/.exec(message)
  if (connect) {
    const address = connect[1] === undefined ? undefined : parseUpstreamField(connect[1])
    return {kind: 'connect-failed', ...base, ...(address === undefined ? {} : {address})}
  }
  if (message.startsWith('upstream sent too big header')) return {kind: 'too-big-header', ...base}
  if (message.startsWith('upstream prematurely closed')) return {kind: 'prematurely-closed', ...base}
  // php-fpm closed the connection: a reset while nginx reads, a broken pipe while it still sends the request.
  if (/^(?:recv|readv|writev|send|sendfile)\(\) failed \((?:104|32): /.test(message))
    return {kind: 'reset-by-peer', ...base}
  if (message.startsWith('upstream timed out')) return {kind: 'timed-out', ...base}
  if (message.startsWith('no live upstreams')) return {kind: 'no-live-upstreams', ...base}
  if (message.includes('Primary script unknown')) return {kind: 'primary-script-unknown', ...base}
  // What answered is not FastCGI: the "version" is its first byte (72, 'H', for an HTTP server).
  if (message.startsWith('upstream sent unsupported FastCGI protocol version')) return {kind: 'not-fastcgi', ...base}
  return {kind: 'other', ...base}
}

/** One nginx error.log line → event, or undefined for lines not in nginx's format. */
export function parseNginxErrorLine(raw: string, file: string, line: number): NginxErrorEvent | undefined {
  const head = HEAD.exec(raw)
  if (!head) return undefined
  const {message, fields} = splitFields(head[6]!)
  const {address, ...classified} = classify(message)
  const upstream = fields.upstream === undefined ? address : (parseUpstreamField(fields.upstream) ?? address)
  return {
    source: 'nginx',
    file,
    line,
    raw,
    time: parseNginxTime(head[1]!),
    level: head[2]!,
    pid: Number(head[3]),
    message,
    ...classified,
    ...(fields.client === undefined ? {} : {client: fields.client}),
    ...(fields.server === undefined ? {} : {server: fields.server}),
    ...(fields.request === undefined ? {} : {request: fields.request}),
    ...(fields.host === undefined ? {} : {host: fields.host}),
    ...(upstream === undefined ? {} : {upstream}),
    ...(fields.upstream === undefined ? {} : {upstreamRaw: fields.upstream}),
  }
}

export function parseNginxErrorLog(text: string, file: string): NginxErrorEvent[] {
  const events: NginxErrorEvent[] = []
  text.split('\n').forEach((raw, index) => {
    const event = parseNginxErrorLine(raw.replace(/\r$/, ''), file, index + 1)
    if (event) events.push(event)
  })
  return events
}
