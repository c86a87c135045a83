import {parseIniLine} from '../fpm/index.js'
import type {PolicyLine} from '../model/desired.js'
import type {WantedSetting} from './pool-drift.js'
import {directiveName, knownToVersion} from './pool-directives.js'
import {shortVersion, type PoolView} from './pool-view.js'
import {pathForVersion} from './version-paths.js'

/** Addresses of the old pool's own: the target pool gets addresses of its own instead. */
const NOT_CARRIED = new Set(['listen', 'pm.status_listen'])

export interface CarriedSettings {
  settings: WantedSetting[]
  /** Directives not carried, with their old value and why (mostly: the target version does not know them). */
  dropped: string[]
}

/**
 * What a pool sets itself (every directive written in its files, or only in its `-tt` dump), in the
 * order it is written, for a pool of `targetVersion` to have too: user/group, listen permissions,
 * pm.*, timeouts, php_value/php_admin_value/flags, env[], slowlog, ping/status paths … Its listen
 * address is `target.listen`, in the old one's place; directives the target version does not know
 * are dropped, and paths of the old version's layout follow the target's.
 */
export function carriedSettings(
  old: PoolView,
  target: {version: string; versionKey: readonly number[]; listen?: WantedSetting},
  at: PolicyLine,
): CarriedSettings {
  const wanted = old.pool.name.toLowerCase()
  const written = new Map<string, {value: string; where: string}>()
  for (const directive of old.sources.source.directives) {
    if (directive.section.toLowerCase() !== wanted) continue
    written.delete(directive.key)
    // As written, `$pool` unexpanded: php-fpm expands it for the new pool just the same.
    const line = parseIniLine(directive.rawLine)
    const value = line.kind === 'entry' ? line.value : directive.value
    written.set(directive.key, {value, where: `${directive.file}:${directive.line}`})
  }
  for (const [key, setting] of Object.entries(old.effective.settings))
    if (setting.source === 'tt-only' && setting.value !== undefined && !written.has(key))
      written.set(key, {value: setting.value, where: `${old.install.id} -tt`})
  if (target.listen !== undefined && !written.has('listen')) written.set('listen', {value: '', where: ''})
  const settings: WantedSetting[] = []
  const dropped: string[] = []
  const from = shortVersion(old.install)
  for (const [key, {value, where}] of written) {
    if (key === 'listen' && target.listen !== undefined) settings.push(target.listen)
    if (NOT_CARRIED.has(directiveName(key))) continue
    // A list of equal keys; one setting per key cannot carry it.
    if (directiveName(key) === 'access.suppress_path') {
      dropped.push(`${key} = ${value} (a list fpmfix cannot carry entry by entry; set it by hand)`)
      continue
    }
    if (!knownToVersion(key, target.versionKey)) {
      dropped.push(`${key} = ${value} (php-fpm ${target.version} does not know it)`)
      continue
    }
    // A path of the old version's layout (its log, session or pid directory) follows the new one's.
    const moved = value.includes('/') ? pathForVersion(value, {from, to: target.version}) : value
    const why = `carried over from php ${from} pool ${old.pool.name} (${where})${moved === value ? '' : `, its path in php ${target.version}'s layout`}`
    settings.push({key, value: moved, at, why})
  }
  return {settings, dropped}
}
