import {styleText} from 'node:util'

type Format = Parameters<typeof styleText>[0]

/**
 * Colour only when the stream is a TTY and NO_COLOR is unset (FORCE_COLOR wins);
 * node's styleText checks that when given the stream. Node 20 skips the check for a
 * list of formats, so each format is applied on its own.
 */
export function paint(format: Format, text: string, stream: NodeJS.WriteStream = process.stdout): string {
  const formats = (Array.isArray(format) ? format : [format]) as Array<Extract<Format, string>>
  return formats.reduceRight((styled, one) => styleText(one, styled, {stream}), text)
}

export const paintErr = (format: Format, text: string): string => paint(format, text, process.stderr)
