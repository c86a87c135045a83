import type {Remedy} from '../model/finding.js'
import type {FastcgiSite, Sourced} from '../model/facts.js'

/**
 * Change an inherited nginx setting where it is in force for `site`: the directive that sets it
 * (in whatever scope that is), or a new one in the site's own block when only the default applies.
 */
export function setOrInsert(
  site: FastcgiSite,
  current: Sourced<unknown>,
  directive: string,
  args: string[],
  reason: string,
): Remedy {
  return current.source === 'default'
    ? {kind: 'nginx-insert', file: site.block.file, line: site.block.line, directive, args, reason}
    : {kind: 'nginx-set', file: current.source.file, line: current.source.line, directive, args, reason}
}
