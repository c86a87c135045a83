import {FpmfixError} from '../errors.js'
import {splitNginxDump} from './dump.js'
import {globMatch, isGlob} from '../util/glob.js'
import {parseNginxFile} from './parser.js'
import type {IncludeSite, NginxConfig, NginxDirective, NginxSourceFile, NginxWarning} from './types.js'

/** Splits `nginx -T` stdout and assembles the tree nginx builds from it. */
export function parseNginxDump(stdout: string): NginxConfig {
  return assembleNginxConfig(splitNginxDump(stdout))
}

/**
 * Builds the configuration tree as nginx sees it: the first file is the main
 * config, and every `include` is followed by the directives of the dumped files
 * it matches, in glob order, each keeping its own file:line and an `includedFrom` site.
 */
export function assembleNginxConfig(files: ReadonlyArray<NginxSourceFile>): NginxConfig {
  const main = files[0]
  if (!main) {
    throw new FpmfixError('GATHER_PARSE', '`nginx -T` printed no "# configuration file" section', {
      hint: 'Run `nginx -T` on the host: it must pass its own test before it prints the configuration.',
    })
  }
  const prefix = main.path.slice(0, main.path.lastIndexOf('/') + 1)
  const contents = new Map(files.map((file) => [file.path, file.content]))
  const parsed = new Map<string, NginxDirective[]>()
  const warnings: NginxWarning[] = []

  const parseOnce = (path: string): NginxDirective[] => {
    let directives = parsed.get(path)
    if (!directives) {
      directives = parseNginxFile(path, contents.get(path) ?? '')
      parsed.set(path, directives)
    }
    return directives
  }

  const resolveInclude = (include: NginxDirective): string[] => {
    const pattern = include.args[0]!
    const full = pattern.startsWith('/') ? pattern : prefix + pattern
    if (isGlob(full)) return globMatch(full, contents.keys())
    if (contents.has(full)) return [full]
    warnings.push({
      kind: 'include-missing',
      message: `${include.file}:${include.line}: include "${pattern}" names ${full}, which the nginx -T output does not list`,
      file: include.file,
      line: include.line,
    })
    return []
  }

  const expand = (directives: NginxDirective[], site: IncludeSite | undefined, stack: string[]): NginxDirective[] => {
    const out: NginxDirective[] = []
    for (const directive of directives) {
      const copy: NginxDirective = site ? {...directive, includedFrom: site} : {...directive}
      if (directive.children && directive.rawBody === undefined) copy.children = expand(directive.children, site, stack)
      out.push(copy)
      if (directive.name !== 'include' || directive.args.length !== 1 || directive.children) continue
      const targets = resolveInclude(directive)
      copy.includes = targets
      const innerSite: IncludeSite = {file: directive.file, line: directive.line, column: directive.column}
      if (site) innerSite.via = site
      for (const target of targets) {
        if (stack.includes(target)) {
          warnings.push({
            kind: 'include-recursive',
            message: `${directive.file}:${directive.line}: ${target} includes itself through ${stack.join(' → ')}; not followed`,
            file: directive.file,
            line: directive.line,
          })
          continue
        }
        out.push(...expand(parseOnce(target), innerSite, [...stack, target]))
      }
    }
    return out
  }

  const directives = expand(parseOnce(main.path), undefined, [main.path])
  return {mainFile: main.path, prefix, files: [...files], directives, warnings}
}
