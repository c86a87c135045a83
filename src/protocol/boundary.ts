import {randomBytes} from 'node:crypto'

import {FpmfixError} from '../errors.js'

const BOUNDARY_PATTERN = /^[A-Za-z0-9]{16,128}$/

/**
 * A fresh section boundary for one host program run: 128 random bits, so nothing the
 * program reads on the host (a config file, a log line) can forge a section header.
 */
export function newBoundary(): string {
  return `FPMFIX${randomBytes(16).toString('hex')}`
}

export function assertBoundary(boundary: string): void {
  if (!BOUNDARY_PATTERN.test(boundary)) {
    throw new FpmfixError('INTERNAL', `invalid section boundary token: ${JSON.stringify(boundary)}`)
  }
}
