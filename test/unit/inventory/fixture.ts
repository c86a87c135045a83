import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {parseInventory} from '../../../src/inventory/index.js'
import type {Inventory} from '../../../src/inventory/index.js'

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../../fixtures/inventory/${name}`, import.meta.url))
}

export function loadFixture(name: string): Inventory {
  return parseInventory(readFileSync(fixturePath(name), 'utf8'), name)
}

/** Run `action` and return the error it throws, failing the test if it does not throw. */
export function thrown(action: () => unknown): {
  code?: string
  message: string
  hint?: string
  details?: Record<string, unknown>
} {
  try {
    action()
  } catch (error) {
    return error as {code?: string; message: string; hint?: string}
  }
  throw new Error('expected an error, nothing was thrown')
}
