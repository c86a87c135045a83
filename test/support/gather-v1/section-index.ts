import type {CommandOutput, CommandResult, RawFile} from '../../../src/model/snapshot.js'
import {toRawFile} from './parse-stat.js'
import type {Section} from '../../../src/protocol/frames.js'

/** Lookup helpers over the ordered sections of one gather run. */
export class SectionIndex {
  readonly sections: Section[]
  readonly warnings: string[]

  constructor(sections: Section[], warnings: string[]) {
    this.sections = sections
    this.warnings = warnings
  }

  all(kind: string, tag?: string, arg?: string): Section[] {
    return this.sections.filter(
      (section) =>
        section.kind === kind &&
        (tag === undefined || section.tag === tag) &&
        (arg === undefined || section.arg === arg),
    )
  }

  first(kind: string, tag?: string, arg?: string): Section | undefined {
    return this.all(kind, tag, arg)[0]
  }

  /** A `cmd` section and its `stderr` companion. */
  command(tag: string, arg = ''): CommandResult | undefined {
    const stdout = this.first('cmd', tag, arg)
    if (stdout === undefined) return undefined
    const stderr = this.first('stderr', tag, arg)
    return {
      code: stdout.status,
      stdout: stdout.content,
      stderr: stderr?.content ?? '',
      truncated: stdout.flags.includes('truncated') || !stdout.complete,
    }
  }

  /** A section whose content is a merged stdout+stderr capture (emit_text, or a cmd run through `merged`). */
  output(kind: string, tag: string, arg?: string): CommandOutput | undefined {
    const section = this.first(kind, tag, arg)
    if (section === undefined) return undefined
    return {
      code: section.status,
      output: section.content,
      truncated: section.flags.includes('truncated') || !section.complete,
    }
  }

  /** Every `meta` section with this tag, each with the `data` section that directly follows it. */
  files(tag: string): RawFile[] {
    const files: RawFile[] = []
    this.sections.forEach((section, position) => {
      if (section.kind !== 'meta' || section.tag !== tag) return
      const next = this.sections[position + 1]
      const data = next?.kind === 'data' && next.tag === tag && next.arg === section.arg ? next : undefined
      files.push(toRawFile(section, data, this.warnings))
    })
    return files
  }

  file(tag: string): RawFile | undefined {
    return this.files(tag)[0]
  }

  /** Content of a file that was read, when it was. */
  fileText(tag: string): string | undefined {
    return this.file(tag)?.content
  }
}
