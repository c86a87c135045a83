import type {NginxDirective, SourcePosition, TreePath} from './types.js'

export interface WalkContext {
  /** Enclosing block directives, outermost first. */
  ancestors: NginxDirective[]
  path: TreePath
}

/** Depth-first, in file order; the visitor sees each directive before its children. */
export function walkNginx(
  directives: ReadonlyArray<NginxDirective>,
  visit: (directive: NginxDirective, context: WalkContext) => void,
  context: WalkContext = {ancestors: [], path: []},
): void {
  directives.forEach((directive, index) => {
    const here = {ancestors: context.ancestors, path: [...context.path, index]}
    visit(directive, here)
    if (directive.children)
      walkNginx(directive.children, visit, {ancestors: [...context.ancestors, directive], path: here.path})
  })
}

export function directiveAt(directives: ReadonlyArray<NginxDirective>, path: TreePath): NginxDirective | undefined {
  let level: ReadonlyArray<NginxDirective> | undefined = directives
  let found: NginxDirective | undefined
  for (const index of path) {
    found = level?.[index]
    if (!found) return undefined
    level = found.children
  }
  return found
}

/** The block directives enclosing the directive at `path`, outermost first. */
export function ancestorsAt(directives: ReadonlyArray<NginxDirective>, path: TreePath): NginxDirective[] {
  const chain: NginxDirective[] = []
  for (let depth = 1; depth < path.length; depth++) {
    const block = directiveAt(directives, path.slice(0, depth))
    if (block) chain.push(block)
  }
  return chain
}

export function childrenNamed(directives: ReadonlyArray<NginxDirective> | undefined, name: string): NginxDirective[] {
  return (directives ?? []).filter((directive) => directive.name === name)
}

export function positionOf(directive: NginxDirective): SourcePosition {
  return {file: directive.file, line: directive.line, column: directive.column}
}
