import {styleText} from 'node:util'

type Format = Parameters<typeof styleText>[0]

/**
 * Colour only when the stream is a TTY and NO_COLOR is unset (FORCE_COLOR wins);
 * node's styleText does that check itself when given the stream.
 */
export function paint(format: Format, text: string, stream: NodeJS.WriteStream = process.stdout): string {
  return styleText(format, text, {stream})
}

export const paintErr = (format: Format, text: string): string => paint(format, text, process.stderr)
