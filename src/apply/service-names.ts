/** The digits in a php-fpm service name or binary path: php8.2-fpm, php-fpm8.2 and /opt/remi/php82/… all give 82. */
export function versionDigits(text: string): string {
  return text.replace(/[^0-9]/g, '')
}

/**
 * Whether a php-fpm binary is the one a service name runs (Debian php8.2-fpm, Alpine php-fpm82,
 * Remi php74-php-fpm, plain php-fpm): service_masters in protocol/sh/proc.sh applies the same rule.
 */
export function fpmBinaryMatchesService(binary: string, service: string): boolean {
  return versionDigits(binary) === versionDigits(service)
}

/** The conventional service name for a php-fpm binary path. */
export function fpmServiceNameFor(binary: string): string {
  const remi = /\/opt\/remi\/(php\d+)\//.exec(binary)
  if (remi) return `${remi[1]}-php-fpm`
  const base = binary.slice(binary.lastIndexOf('/') + 1)
  const debian = /^php-fpm(\d+\.\d+)$/.exec(base)
  if (debian) return `php${debian[1]}-fpm`
  return base
}
