import type {FpmInstall} from '../model/snapshot.js'

/** What PHP version an install is, and how sure: its layout and binary name, cross-checked with `-v`. */
export interface InstallVersion {
  /** `8.1` from the layout, or `-v`'s full number (`8.2.36`) when it agrees or the layout names none. */
  version?: string
  versionKey: number[]
  /** The layout and `-v` name different versions (a copied or mislabelled binary): the layout wins. */
  note?: string
}

/** `X.Y` in the spellings distros use, from the most to the least specific place. */
const BINARY_PATTERNS = [
  /\/php-fpm(\d+)\.(\d+)$/, // Debian/Ubuntu: /usr/sbin/php-fpm8.2
  /\/php-fpm(\d)(\d)$/, // Alpine: /usr/sbin/php-fpm82
  /\/(?:rh-)?php(\d)(\d)\/root\//, // Remi and Software Collections: /opt/remi/php81/root/usr/sbin/php-fpm
  /\/php\/?(\d+)\.(\d+)\//, // hand-built trees: /opt/php/8.1/sbin/php-fpm
]
const SERVICE_PATTERNS = [/^php(\d+)\.(\d+)-fpm$/, /^(?:rh-)?php(\d)(\d)-php-fpm$/, /^php-fpm(\d)(\d)$/]
const CONFIG_PATTERNS = [
  /^\/etc\/php\/(\d+)\.(\d+)\//,
  /^\/etc\/php(\d)(\d)\//,
  /^\/etc\/opt\/\w+\/(?:rh-)?php(\d)(\d)\//,
]

function firstMatch(text: string, patterns: RegExp[]): string | undefined {
  for (const pattern of patterns) {
    const match = pattern.exec(text)
    if (match) return `${Number(match[1])}.${Number(match[2])}`
  }
  return undefined
}

/** The X.Y an install's binary name, service name or config path spells, if any does. */
export function layoutVersion(
  install: Pick<FpmInstall, 'binary' | 'serviceName' | 'mainConfigPath'>,
): string | undefined {
  return (
    firstMatch(install.binary, BINARY_PATTERNS) ??
    firstMatch(install.serviceName, SERVICE_PATTERNS) ??
    firstMatch(install.mainConfigPath, CONFIG_PATTERNS)
  )
}

export function versionKeyOf(version: string | undefined): number[] {
  return (version ?? '')
    .split('.')
    .map((part) => Number.parseInt(part, 10))
    .filter((part) => !Number.isNaN(part))
}

/** Order two version keys (`[8, 2]` < `[8, 10]`); a missing part counts as 0, so `[8, 2]` equals `[8, 2, 0]`. */
export function compareVersionKeys(a: readonly number[], b: readonly number[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const diff = (a[index] ?? 0) - (b[index] ?? 0)
    if (diff !== 0) return diff
  }
  return 0
}

/**
 * An install is the version its layout names (`php-fpm8.1`, `/etc/php/8.1`, `php81`, `php81-php-fpm`,
 * `php-fpm81`): that is what its service, pools and sockets belong to. `-v` fills in the patch level
 * when it agrees; a binary copied or built from another version still reports its own, which is noted.
 */
export function installVersion(
  install: Pick<FpmInstall, 'binary' | 'serviceName' | 'mainConfigPath' | 'versionNumber'>,
): InstallVersion {
  const layout = layoutVersion(install)
  const reported = install.versionNumber
  if (layout === undefined || (reported !== undefined && reported.startsWith(`${layout}.`)))
    return reported === undefined ? {versionKey: []} : {version: reported, versionKey: versionKeyOf(reported)}
  return {
    version: layout,
    versionKey: versionKeyOf(layout),
    ...(reported === undefined
      ? {}
      : {
          note: `${install.binary} reports PHP ${reported}, but its name and layout say ${layout}; fpmfix goes by the layout`,
        }),
  }
}
