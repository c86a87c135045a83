/**
 * Tag for sh source kept in TypeScript: the text is taken raw, and parameter expansions are
 * written `$\{…}` so the template literal leaves them alone; they come out as `${…}`.
 * Nothing can be interpolated, so no value ever reaches the script unquoted through here.
 */
export function sh(strings: TemplateStringsArray, ...values: never[]): string {
  if (values.length > 0) throw new Error('sh`…` takes no interpolations; quote values with shellQuote')
  return String.raw({raw: strings.raw}).replaceAll('$\\{', '${')
}
