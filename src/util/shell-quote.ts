/**
 * The one quoting helper for every value interpolated into a remote POSIX sh
 * command. Single quotes make everything literal except the single quote itself,
 * which is closed, escaped and reopened. Newlines, `$()`, backticks and NUL-free
 * binary are all safe inside single quotes.
 */
export function shellQuote(value: string | number): string {
  const text = String(value)
  if (text.includes('\0')) throw new Error('cannot shell-quote a value containing a NUL byte')
  if (text !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text
  return `'${text.replaceAll("'", `'\\''`)}'`
}

/** Quote each word and join them into one command line. */
export function shellJoin(words: ReadonlyArray<string | number>): string {
  return words.map((word) => shellQuote(word)).join(' ')
}
