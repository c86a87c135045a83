import {execFile} from 'node:child_process'

import {FpmfixError} from '../errors.js'
import {buildInventory} from './inventory-graph.js'
import {addDraftChild, addDraftHost, draftGroup, newDraft, type InventoryDraft} from './inventory-draft.js'
import type {Inventory} from './types.js'
import {inventoryValueText} from './value-text.js'

const SCRIPT_TIMEOUT_MS = 60_000
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024
const HOST_QUERIES_AT_ONCE = 8

type Json = Record<string, unknown>

/**
 * An executable dynamic inventory, run as Ansible's script plugin runs it: `SCRIPT --list`
 * prints groups (`{"web": {"hosts": [...], "vars": {...}, "children": [...]}}`, or a plain
 * list of hosts) and, in `_meta.hostvars`, every host's variables; without `_meta.hostvars`,
 * `SCRIPT --host NAME` is asked for each host. Precedence is the INI loader's.
 */
export async function loadScriptInventory(path: string): Promise<Inventory> {
  const listing = await runJson(path, ['--list'])
  if (!isObject(listing)) throw scriptError(path, '--list', 'printed JSON that is not an object of groups')
  const draft = newDraft(path)
  const hosts = new Set<string>()
  for (const [name, data] of Object.entries(listing)) {
    if (name !== '_meta') readGroup(draft, path, name, data, hosts)
  }
  const meta = listing._meta
  const hostvars = isObject(meta) && 'hostvars' in meta ? meta.hostvars : undefined
  if (hostvars !== undefined && !isObject(hostvars))
    throw scriptError(path, '--list', '_meta.hostvars is not an object')
  const names = [...hosts]
  const perHost = hostvars === undefined ? await askEachHost(path, names) : names.map((name) => hostvars[name])
  names.forEach((name, index) => {
    const vars = perHost[index] ?? {}
    if (!isObject(vars)) throw scriptError(path, '--list', `the variables of host '${name}' are not an object`)
    draft.hosts.get(name)!.vars = textValues(vars)
  })
  return buildInventory(draft)
}

function readGroup(draft: InventoryDraft, path: string, name: string, data: unknown, hosts: Set<string>): void {
  draftGroup(draft, name).declaredAt ??= 0
  let group: Json
  if (!isObject(data)) group = {hosts: data}
  // A group object with none of the three keys is the old shorthand: a host of that name with those variables.
  // An empty object stays an empty group (Ansible would make it a host named after the group).
  else if (Object.keys(data).length > 0 && !('hosts' in data || 'vars' in data || 'children' in data))
    group = {hosts: [name], vars: data}
  else group = data
  if (group.hosts !== undefined && group.hosts !== null) {
    if (!Array.isArray(group.hosts) || !group.hosts.every((host) => typeof host === 'string')) {
      throw scriptError(path, '--list', `group '${name}' has a "hosts" that is not a list of host names`)
    }
    for (const host of group.hosts as string[]) {
      hosts.add(host)
      addDraftHost(draft, name, host, {})
    }
  }
  if (group.vars !== undefined && group.vars !== null) {
    if (!isObject(group.vars)) throw scriptError(path, '--list', `group '${name}' has "vars" that are not an object`)
    Object.assign(draftGroup(draft, name).vars, textValues(group.vars))
  }
  if (group.children !== undefined && group.children !== null) {
    if (!Array.isArray(group.children) || !group.children.every((child) => typeof child === 'string')) {
      throw scriptError(path, '--list', `group '${name}' has "children" that are not a list of group names`)
    }
    for (const child of group.children as string[]) {
      draftGroup(draft, child).declaredAt ??= 0
      addDraftChild(draft, name, child, 0)
    }
  }
}

async function askEachHost(path: string, names: string[]): Promise<unknown[]> {
  const answers = new Array<unknown>(names.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const index = next++
      answers[index] = await runJson(path, ['--host', names[index]!], {emptyIsObject: true})
    }
  }
  await Promise.all(Array.from({length: Math.min(HOST_QUERIES_AT_ONCE, names.length)}, worker))
  return answers
}

function runJson(path: string, args: string[], options: {emptyIsObject?: boolean} = {}): Promise<unknown> {
  const call = args.join(' ')
  return new Promise((resolve, reject) => {
    execFile(
      path,
      args,
      {timeout: SCRIPT_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8'},
      (error, stdout, stderr) => {
        if (error !== null) {
          const failure = error as NodeJS.ErrnoException & {killed?: boolean; code?: number | string}
          const why = failure.killed
            ? `did not finish within ${SCRIPT_TIMEOUT_MS / 1000} s`
            : typeof failure.code === 'number'
              ? `exited ${failure.code}`
              : `could not be run (${String(failure.code ?? failure.message)})`
          reject(scriptError(path, call, why, stderr))
          return
        }
        if (options.emptyIsObject && stdout.trim() === '') return resolve({})
        try {
          resolve(JSON.parse(stdout))
        } catch (parseError) {
          reject(
            scriptError(path, call, `printed something that is not JSON (${(parseError as Error).message})`, stderr),
          )
        }
      },
    )
  })
}

function scriptError(path: string, call: string, what: string, stderr = ''): FpmfixError {
  const tail = stderr.trim().split('\n').slice(-5).join('\n')
  return new FpmfixError('INVENTORY_SCRIPT', `dynamic inventory ${path} ${call}: ${what}${tail ? `\n${tail}` : ''}`, {
    hint: `Run \`${path} ${call}\` by hand to see its output; it must print Ansible's inventory JSON.`,
    details: {source: path, call},
  })
}

function textValues(vars: Json): Record<string, string> {
  return Object.fromEntries(Object.entries(vars).map(([key, value]) => [key, inventoryValueText(value)]))
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
