import {readFile, stat} from 'node:fs/promises'
import {extname} from 'node:path'

import {FpmfixError} from '../errors.js'
import {isHostList, parseHostList} from './host-list.js'
import {parseInventory} from './parse-inventory.js'
import type {Inventory} from './types.js'

const NOT_INI_EXTENSIONS = new Set(['.yml', '.yaml', '.json'])

/**
 * Read an INI inventory file, or accept a comma-separated host list the way
 * `ansible -i 'web1,web2,'` does (a value with a comma that is not an existing file).
 */
export async function loadInventory(path: string): Promise<Inventory> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined
    throw unreadable(path, error)
  })
  if (info === undefined) {
    if (isHostList(path)) return parseHostList(path)
    throw new FpmfixError('INVENTORY_NOT_FOUND', `inventory file ${path} does not exist`, {
      hint: "Check the path given to -i. To name hosts without a file, separate them with commas: -i 'web1,web2,' (a single host needs the trailing comma).",
      details: {path},
    })
  }
  if (info.isDirectory()) {
    throw new FpmfixError(
      'INVENTORY_NOT_FOUND',
      `inventory ${path} is a directory; fpmfix reads one INI inventory file`,
      {
        hint: 'Pass the INI file inside it, for example -i DIR/hosts.',
        details: {path},
      },
    )
  }
  if (NOT_INI_EXTENSIONS.has(extname(path).toLowerCase())) {
    throw new FpmfixError(
      'INVENTORY_SYNTAX',
      `${path}: YAML and JSON inventories are not supported; only INI inventories are`,
      {
        hint: 'Write the inventory in Ansible INI form: [group] headers, then one host per line with optional key=value variables.',
        details: {source: path},
      },
    )
  }
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw unreadable(path, error)
  })
  return parseInventory(text, path)
}

function unreadable(path: string, error: NodeJS.ErrnoException): FpmfixError {
  return new FpmfixError('INVENTORY_NOT_FOUND', `cannot read inventory ${path}: ${error.code ?? error.message}`, {
    hint:
      error.code === 'EACCES' ? 'Make the file readable by the user running fpmfix.' : 'Check the path given to -i.',
    details: {path},
    cause: error,
  })
}
