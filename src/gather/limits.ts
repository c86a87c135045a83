/** Bumped whenever the sections the gather script prints change shape. */
export const GATHER_SCRIPT_VERSION = 3

/** Size caps of what the gather brings back; the script gets them as data, the parser applies the per-role ones. */
export const GATHER_LIMITS = {
  /** A php-fpm config file. */
  confBytes: 512 * 1024,
  /** Any other file read whole (php.ini, os-release, /proc tables). */
  fileBytes: 1024 * 1024,
  /** Output of one command (-tt, ps, passwd, ss …). */
  commandBytes: 4 * 1024 * 1024,
  /** nginx -T. */
  dumpBytes: 16 * 1024 * 1024,
  /** Log tails: the last lines, at most this many bytes. */
  logLines: 500,
  logBytes: 256 * 1024,
} as const
