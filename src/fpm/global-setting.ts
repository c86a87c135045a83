import type {FpmEffectiveConfig} from './tt-parser.js'
import type {FileLine, FpmConfigSource} from './types.js'

/**
 * A `[global]` setting as php-fpm runs it: the value of its -tt dump when that was read, else the
 * last global line that sets it; where it comes from: that line, else php-fpm's built-in default.
 */
export function globalSetting(
  source: FpmConfigSource,
  tt: FpmEffectiveConfig | undefined,
  key: string,
): {value: string | undefined; source: FileLine | 'default'} {
  const line = source.directives.findLast(
    (directive) => directive.section === 'global' && directive.arrayName === undefined && directive.key === key,
  )
  const dumped = tt?.ok ? tt.global[key] : undefined
  return {
    value: dumped ?? line?.value,
    source: line === undefined ? 'default' : {file: line.file, line: line.line},
  }
}
