import {constants} from 'node:fs'
import {access, readFile, stat} from 'node:fs/promises'
import {extname} from 'node:path'

import {FpmfixError} from '../errors.js'
import {isHostList, parseHostList} from './host-list.js'
import {looksLikeYaml, parseInventory} from './parse-inventory.js'
import {loadScriptInventory} from './script-inventory.js'
import type {Inventory} from './types.js'
import {parseYamlInventory} from './yaml-inventory.js'

const YAML_EXTENSIONS = new Set(['.yml', '.yaml', '.json'])

/**
 * Read an inventory the way Ansible's default plugins would: an executable with a `#!` line
 * is a dynamic inventory (run with --list); .yml/.yaml/.json files, and files whose first
 * line reads as YAML, are YAML inventories; anything else is INI. A value with a comma
 * that is not an existing file is a host list, as `ansible -i 'web1,web2,'`.
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
      `inventory ${path} is a directory; fpmfix reads one inventory file or script`,
      {
        hint: 'Pass the file inside it, for example -i DIR/hosts.',
        details: {path},
      },
    )
  }
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw unreadable(path, error)
  })
  if (text.startsWith('#!')) {
    if (await isExecutable(path)) return loadScriptInventory(path)
    throw new FpmfixError('INVENTORY_SCRIPT', `inventory ${path} starts with #! but is not executable`, {
      hint: `Make the dynamic inventory executable (chmod +x ${path}); fpmfix runs it with --list.`,
      details: {path},
    })
  }
  if (YAML_EXTENSIONS.has(extname(path).toLowerCase()) || looksLikeYaml(text)) return parseYamlInventory(text, path)
  return parseInventory(text, path)
}

function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  )
}

function unreadable(path: string, error: NodeJS.ErrnoException): FpmfixError {
  return new FpmfixError('INVENTORY_NOT_FOUND', `cannot read inventory ${path}: ${error.code ?? error.message}`, {
    hint:
      error.code === 'EACCES' ? 'Make the file readable by the user running fpmfix.' : 'Check the path given to -i.',
    details: {path},
    cause: error,
  })
}
