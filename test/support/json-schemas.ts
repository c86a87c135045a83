import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {Ajv2020, type ErrorObject} from 'ajv/dist/2020.js'

export type DocumentKind = 'plan' | 'apply'

const SCHEMA_DIR = fileURLToPath(new URL('../../src/schemas/', import.meta.url))

function readSchema(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${SCHEMA_DIR}${name}.schema.json`, 'utf8')) as Record<string, unknown>
}

/**
 * The schema with every object that lists its properties closed to others: a field a command
 * prints must be in the published schema, so a renamed or added field fails the contract test.
 */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed)
  if (typeof node !== 'object' || node === null) return node
  const copy = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, closed(value)]))
  if ('properties' in copy && !('additionalProperties' in copy)) copy.additionalProperties = false
  return copy
}

const validators = new Map<string, (document: unknown) => string[]>()

/**
 * Validate a --json document against the published schema (`closedObjects`: and refuse any
 * field the schema does not name). Returns the problems, empty when it matches.
 */
export function schemaProblems(
  kind: DocumentKind,
  document: unknown,
  options: {closedObjects?: boolean} = {},
): string[] {
  const key = `${kind}:${options.closedObjects === true}`
  let validate = validators.get(key)
  if (validate === undefined) {
    const prepare = options.closedObjects ? closed : (schema: unknown) => schema
    const ajv = new Ajv2020({allErrors: true, strict: true})
    ajv.addSchema(prepare(readSchema('common')) as Record<string, unknown>)
    const compiled = ajv.compile(prepare(readSchema(kind)) as Record<string, unknown>)
    validate = (candidate) =>
      compiled(candidate)
        ? []
        : (compiled.errors ?? []).map(
            (error: ErrorObject) =>
              `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
          )
    validators.set(key, validate)
  }
  return validate(document)
}
