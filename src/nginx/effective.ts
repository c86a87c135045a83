import type {NginxConfig, NginxDirective, SourcePosition, TreePath} from './types.js'
import {derivedBusyBuffers} from './fastcgi-buffers.js'
import {formatNginxSize, parseNginxSize} from './units.js'
import {ancestorsAt, directiveAt, positionOf} from './walk.js'

export interface EffectiveValue {
  name: string
  value: string[]
  /** Where the winning directive is written, or 'default' when no level sets it. */
  source: SourcePosition | 'default'
}

/**
 * nginx's built-in values (ngx_http_fastcgi_module.c). The buffer sizes are one
 * memory page; 4k is the page size of x86-64 and most arm64 Linux kernels.
 */
export const FASTCGI_DEFAULTS = {
  fastcgi_read_timeout: ['60s'],
  fastcgi_connect_timeout: ['60s'],
  fastcgi_send_timeout: ['60s'],
  fastcgi_buffer_size: ['4k'],
  fastcgi_buffers: ['8', '4k'],
  fastcgi_busy_buffers_size: ['8k'],
  fastcgi_keep_conn: ['off'],
  fastcgi_next_upstream: ['error', 'timeout'],
} as const satisfies Record<string, readonly string[]>

export type FastcgiSettingName = keyof typeof FASTCGI_DEFAULTS

export const FASTCGI_SETTING_NAMES = Object.keys(FASTCGI_DEFAULTS) as FastcgiSettingName[]

/**
 * The value in force at a point of the tree for a directive that inherits
 * (main → http → server → location → nested location/if): the innermost level
 * that sets it wins; within one level the last occurrence counts. `at` is a
 * block (its own level is searched first) or a directive inside one.
 */
export function effectiveDirective(
  config: NginxConfig,
  at: TreePath,
  name: string,
  fallback: ReadonlyArray<string> = [],
): EffectiveValue {
  const target = directiveAt(config.directives, at)
  const blocks = ancestorsAt(config.directives, at)
  if (target?.children) blocks.push(target)
  const levels: ReadonlyArray<NginxDirective>[] = [config.directives, ...blocks.map((block) => block.children ?? [])]
  for (const level of levels.reverse()) {
    const found = level.findLast((directive) => directive.name === name)
    if (found) return {name, value: found.args, source: positionOf(found)}
  }
  return {name, value: [...fallback], source: 'default'}
}

/**
 * All FastCGI settings in force at `at`. An unset fastcgi_busy_buffers_size is
 * derived as nginx does: twice the larger of fastcgi_buffer_size and one fastcgi_buffers buffer.
 */
export function effectiveFastcgiSettings(
  config: NginxConfig,
  at: TreePath,
): Record<FastcgiSettingName, EffectiveValue> {
  const entries = FASTCGI_SETTING_NAMES.map((name) => [
    name,
    effectiveDirective(config, at, name, FASTCGI_DEFAULTS[name]),
  ])
  const settings = Object.fromEntries(entries) as Record<FastcgiSettingName, EffectiveValue>
  if (settings.fastcgi_busy_buffers_size.source === 'default') {
    const bufferSize = parseNginxSize(settings.fastcgi_buffer_size.value[0] ?? '4k')
    const oneBuffer = parseNginxSize(settings.fastcgi_buffers.value[1] ?? '4k')
    settings.fastcgi_busy_buffers_size.value = [formatNginxSize(derivedBusyBuffers(bufferSize, oneBuffer))]
  }
  return settings
}
