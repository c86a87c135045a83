/**
 * Offsets (`start`, `end`, …) are indices into the file's text as a JS string
 * (UTF-16 code units); for the ASCII configs nginx ships they equal byte offsets.
 * Lines and columns are 1-based.
 */

/** One file as `nginx -T` printed it: its path and its exact content. */
export interface NginxSourceFile {
  path: string
  content: string
}

export interface SourcePosition {
  file: string
  line: number
  column: number
}

export interface NginxArg {
  /** The value nginx sees: quotes removed, escapes resolved. */
  value: string
  /** The text as written, quotes included. */
  raw: string
  start: number
  end: number
  line: number
  column: number
}

/** Where an `include` pulled a directive in; `via` is the include that pulled in that include's file. */
export interface IncludeSite extends SourcePosition {
  via?: IncludeSite
}

export interface NginxDirective {
  name: string
  args: string[]
  /** The name token, then one entry per argument. */
  nameToken: NginxArg
  argTokens: NginxArg[]
  file: string
  line: number
  column: number
  /** Offset of the directive's first character. */
  start: number
  /** Offset just past its `;`, or past the `}` that closes its block. */
  end: number
  /** The directives inside `{ … }`; undefined for a simple directive. */
  children?: NginxDirective[]
  /** Offsets of the block's `{` and `}`. */
  blockOpen?: number
  blockClose?: number
  /** The verbatim body of a block that is not nginx syntax (`*_by_lua_block`). */
  rawBody?: string
  /** Set on every directive that an `include` pulled in (in an assembled tree only). */
  includedFrom?: IncludeSite
  /** On an `include` directive of an assembled tree: the dumped files it pulled in, in order. */
  includes?: string[]
}

export interface NginxWarning {
  kind: 'include-missing' | 'include-recursive'
  message: string
  file: string
  line: number
}

/** The whole configuration as nginx assembles it, includes expanded in place. */
export interface NginxConfig {
  /** The main config file (the first file of the dump). */
  mainFile: string
  /** The directory relative include paths resolve against, with a trailing `/`. */
  prefix: string
  files: NginxSourceFile[]
  directives: NginxDirective[]
  warnings: NginxWarning[]
}

/**
 * A directive's place in an assembled tree: child indices from the top level down.
 * Unlike file + offset it is unambiguous when one file is included in several places.
 */
export type TreePath = number[]
