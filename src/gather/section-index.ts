import type {CommandOutput, CommandResult, PathStat, RawFile} from '../model/snapshot.js'
import type {BatchResults} from './batch-results.js'
import {capText, parseMeta, toRawFile} from './parse-stat.js'
import type {Section} from '../protocol/frames.js'

/** Lookup helpers over the ordered sections of one gather run and its batch results. */
export class SectionIndex {
  readonly sections: Section[]
  readonly warnings: string[]
  readonly batch: BatchResults

  constructor(sections: Section[], batch: BatchResults, warnings: string[]) {
    this.sections = sections
    this.batch = batch
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

  /** A `cmd` section and its `stderr` companion; stdout is cut at `capBytes` when given. */
  command(tag: string, arg = '', capBytes?: number): CommandResult | undefined {
    const stdout = this.first('cmd', tag, arg)
    if (stdout === undefined) return undefined
    const stderr = this.first('stderr', tag, arg)
    const capped = capBytes === undefined ? {text: stdout.content, cut: false} : capText(stdout.content, capBytes)
    return {
      code: stdout.status,
      stdout: capped.text,
      stderr: stderr?.content ?? '',
      truncated: stdout.flags.includes('truncated') || !stdout.complete || capped.cut,
    }
  }

  /** A section whose content is a merged stdout+stderr capture. */
  output(kind: string, tag: string, arg?: string): CommandOutput | undefined {
    const section = this.first(kind, tag, arg)
    if (section === undefined) return undefined
    return {
      code: section.status,
      output: section.content,
      truncated: section.flags.includes('truncated') || !section.complete,
    }
  }

  /** The stat facts of a `meta` section's path. */
  stat(meta: Section): PathStat & {sha256?: string} {
    return parseMeta(meta, this.batch)
  }

  /** Every `meta` section with this tag as a file, with its content when it was read (cut at capBytes). */
  files(tag: string, capBytes: number): RawFile[] {
    return this.all('meta', tag).map((meta) => toRawFile(meta, this.batch, capBytes, this.warnings))
  }

  file(tag: string, capBytes: number): RawFile | undefined {
    return this.files(tag, capBytes)[0]
  }
}
