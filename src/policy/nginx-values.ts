import {fastcgiBuffersProblem, parseNginxDuration, parseNginxSize} from '../nginx/index.js'
import type {StatedValue} from './pool-values.js'

/** The FastCGI settings a policy's [nginx] section may state, and how each is read. */
export const NGINX_SETTINGS = {
  fastcgi_connect_timeout: 'time',
  fastcgi_send_timeout: 'time',
  fastcgi_read_timeout: 'time',
  fastcgi_buffer_size: 'size',
  fastcgi_buffers: 'buffers',
  fastcgi_busy_buffers_size: 'size',
} as const

export type NginxSettingName = keyof typeof NGINX_SETTINGS

export function isNginxSetting(key: string): key is NginxSettingName {
  return Object.hasOwn(NGINX_SETTINGS, key)
}

/** A value as nginx arguments: `16 16k` → ['16', '16k']. */
export function nginxArgs(value: string): string[] {
  return value.trim().split(/\s+/)
}

/** The number a setting compares by: milliseconds, bytes, or the buffers' total. */
export function readNginxSetting(name: NginxSettingName, args: string[]): {count: number; size: number} | number {
  const kind = NGINX_SETTINGS[name]
  if (kind === 'time') return parseNginxDuration(args[0] ?? '')
  if (kind === 'size') return parseNginxSize(args[0] ?? '')
  return {count: Number(args[0]), size: parseNginxSize(args[1] ?? '')}
}

/** Why nginx would refuse (or a host would suffer from) this [nginx] value; undefined when it is fine. */
export function nginxValueProblem(name: NginxSettingName, value: string): string | undefined {
  const args = nginxArgs(value)
  const kind = NGINX_SETTINGS[name]
  const expected = kind === 'buffers' ? 2 : 1
  if (args.length !== expected || args[0] === '')
    return kind === 'buffers'
      ? 'expected a count and a size, e.g. 16 16k'
      : `expected one ${kind}, e.g. ${kind === 'time' ? '60s' : '16k'}`
  let parsed: ReturnType<typeof readNginxSetting>
  try {
    parsed = readNginxSetting(name, args)
  } catch (error) {
    return (error as Error).message
  }
  if (typeof parsed === 'number') return parsed > 0 ? undefined : `${name} 0 would fail every request`
  if (!/^\d+$/.test(args[0]!)) return `invalid number of buffers "${args[0]}"`
  if (parsed.size <= 0) return 'the buffer size must be positive'
  return parsed.count < 2 ? 'there must be at least 2 "fastcgi_buffers"' : undefined
}

/** nginx's buffer checks over the buffer settings a section states, when it states enough to decide. */
export function nginxBuffersProblem(
  stated: ReadonlyMap<string, StatedValue>,
): {line: number; message: string} | undefined {
  const bufferSize = stated.get('fastcgi_buffer_size')
  const buffers = stated.get('fastcgi_buffers')
  if (bufferSize === undefined || buffers === undefined) return undefined
  const busy = stated.get('fastcgi_busy_buffers_size')
  const problem = fastcgiBuffersProblem({
    bufferSize: parseNginxSize(bufferSize.value.trim()),
    buffers: readNginxSetting('fastcgi_buffers', nginxArgs(buffers.value)) as {count: number; size: number},
    ...(busy === undefined ? {} : {busy: parseNginxSize(busy.value.trim())}),
  })
  if (problem === undefined) return undefined
  return {line: Math.max(bufferSize.line, buffers.line, busy?.line ?? 0), message: `nginx -t would fail: ${problem}`}
}
