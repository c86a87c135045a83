import {FpmfixError} from '../errors.js'
import type {FpmConfigSource} from './types.js'

export interface EditTarget {
  file: string
  /** The section header to edit under, spelled as in the files. */
  poolSection: string
  /** The line of the winning directive to change; absent when the pool does not set the key. */
  line?: number
}

/**
 * Where a change of `key` for `poolName` goes. A key the files set is edited
 * where its last (winning) directive is. A new key goes into the file holding
 * the pool's last `[name]` header: php-fpm reads that occurrence last, so a
 * directive there wins over every earlier one (Docker's www pool spans
 * www.conf, docker.conf and zz-docker.conf; new keys land in zz-docker.conf).
 * Array keys are matched exactly (`php_admin_value[memory_limit]`).
 */
export function editTarget(source: FpmConfigSource, poolName: string, key: string): EditTarget {
  const wanted = poolName.toLowerCase()
  const isGlobal = wanted === 'global'
  const normalized = key.includes('[') ? key : key.toLowerCase()
  const directive = source.directives
    .filter((item) => item.section.toLowerCase() === wanted && item.key === normalized)
    .at(-1)
  if (directive)
    return {file: directive.file, poolSection: isGlobal ? 'global' : directive.section, line: directive.line}
  if (isGlobal) return {file: source.mainConfig, poolSection: 'global'}
  const section = source.sections.filter((item) => item.name.toLowerCase() === wanted).at(-1)
  if (!section) {
    throw new FpmfixError('GATHER_PARSE', `No [${poolName}] section in the php-fpm config files.`, {
      details: {pools: source.pools},
    })
  }
  return {file: section.file, poolSection: section.name}
}
