/** `8.1` → the spellings a path uses for it (php8.1, php81, /8.1/), each with its `8.2` replacement. */
function rewrites(from: string, to: string): Array<[RegExp, string]> {
  const [fromMajor, fromMinor] = from.split('.')
  const [toMajor, toMinor] = to.split('.')
  const dotted = `${fromMajor}\\.${fromMinor}`
  return [
    [new RegExp(`php${dotted}(?!\\d)`, 'g'), `php${to}`],
    [new RegExp(`php${fromMajor}${fromMinor}(?!\\d)`, 'g'), `php${toMajor}${toMinor}`],
    [new RegExp(`/${dotted}/`, 'g'), `/${to}/`],
  ]
}

/**
 * A path of one PHP version's layout as the other version's layout spells it:
 * /run/php/php8.1-fpm.sock → /run/php/php8.2-fpm.sock, /var/opt/remi/php74/… → /var/opt/remi/php81/…,
 * /etc/php/8.1/… → /etc/php/8.2/…. Text naming no version stays as it is.
 */
export function pathForVersion(path: string, versions: {from: string; to: string}): string {
  return rewrites(versions.from, versions.to).reduce(
    (text, [pattern, replacement]) => text.replace(pattern, replacement),
    path,
  )
}
