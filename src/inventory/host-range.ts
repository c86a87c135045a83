import {LineProblem} from './line-problem.js'

/** Ansible's alphabetic ranges index into Python's string.ascii_letters. */
const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
const MAX_EXPANDED_HOSTS = 100_000

/**
 * Expand Ansible host ranges: `web[01:03].example.com`, `db-[a:c]`, `node[0:10:2]`,
 * several ranges in one name, an empty begin meaning 0 (`mail[:5]`). A begin written
 * with a leading zero sets the width (`[001:010]`), and then the end must be as wide.
 * A name without `[` is returned as is.
 */
export function expandHostRange(pattern: string): string[] {
  const open = pattern.indexOf('[')
  if (open === -1) return [pattern]
  const close = pattern.indexOf(']', open)
  if (close === -1) throw rangeProblem(pattern, `'[' without a closing ']'`)
  const head = pattern.slice(0, open)
  const tail = pattern.slice(close + 1)
  const values = rangeValues(pattern, pattern.slice(open + 1, close))
  const tails = expandHostRange(tail)
  if (values.length * tails.length > MAX_EXPANDED_HOSTS) {
    throw rangeProblem(pattern, `it expands to more than ${MAX_EXPANDED_HOSTS} hosts`)
  }
  return values.flatMap((value) => tails.map((rest) => `${head}${value}${rest}`))
}

function rangeValues(pattern: string, body: string): string[] {
  const bounds = body.split(':')
  if (bounds.length !== 2 && bounds.length !== 3) {
    throw rangeProblem(pattern, `'[${body}]' is not begin:end or begin:end:step`)
  }
  const begin = bounds[0] === '' ? '0' : (bounds[0] as string)
  const end = bounds[1] as string
  const stepText = bounds[2] ?? '1'
  if (end === '') throw rangeProblem(pattern, `'[${body}]' has no end value`)
  if (!/^[0-9]+$/.test(stepText) || Number(stepText) === 0) {
    throw rangeProblem(pattern, `step '${stepText}' in '[${body}]' must be a whole number of at least 1`)
  }
  const step = Number(stepText)
  if (ASCII_LETTERS.includes(begin) && begin.length === 1 && ASCII_LETTERS.includes(end) && end.length === 1) {
    return letterRange(pattern, body, begin, end, step)
  }
  if (/^[0-9]+$/.test(begin) && /^[0-9]+$/.test(end)) return numberRange(pattern, body, begin, end, step)
  throw rangeProblem(pattern, `'[${body}]' must be two numbers or two single letters`)
}

function letterRange(pattern: string, body: string, begin: string, end: string, step: number): string[] {
  const from = ASCII_LETTERS.indexOf(begin)
  const to = ASCII_LETTERS.indexOf(end)
  if (from > to) throw rangeProblem(pattern, `'[${body}]' begins after it ends`)
  const letters: string[] = []
  for (let index = from; index <= to; index += step) letters.push(ASCII_LETTERS[index] as string)
  return letters
}

function numberRange(pattern: string, body: string, begin: string, end: string, step: number): string[] {
  const padded = begin.length > 1 && begin.startsWith('0')
  if (padded && begin.length !== end.length) {
    throw rangeProblem(
      pattern,
      `'[${body}]' pads the begin to ${begin.length} digits, so the end must have ${begin.length} digits too`,
    )
  }
  const from = Number(begin)
  const to = Number(end)
  if (from > to) throw rangeProblem(pattern, `'[${body}]' begins after it ends`)
  if ((to - from) / step >= MAX_EXPANDED_HOSTS) {
    throw rangeProblem(pattern, `it expands to more than ${MAX_EXPANDED_HOSTS} hosts`)
  }
  const numbers: string[] = []
  for (let value = from; value <= to; value += step) {
    numbers.push(padded ? String(value).padStart(begin.length, '0') : String(value))
  }
  return numbers
}

function rangeProblem(pattern: string, what: string): LineProblem {
  const hint = pattern.startsWith('[')
    ? 'An IPv6 address with a port is written [address]:port; without a port write the address bare.'
    : 'Ranges look like web[01:20].example.com, db-[a:f] or node[0:10:2].'
  return new LineProblem(`malformed host range in '${pattern}': ${what}`, hint)
}
