import {isNode, isScalar} from 'yaml'

/**
 * A YAML or JSON inventory value as the text fpmfix keeps variables in (as INI values are):
 * strings as written, numbers as written in YAML, booleans as true/false, null as '',
 * lists and mappings as JSON.
 */
export function inventoryValueText(value: unknown): string {
  if (isScalar(value)) {
    if (typeof value.value === 'number' && typeof value.source === 'string' && value.source !== '') return value.source
    return inventoryValueText(value.value)
  }
  if (isNode(value)) return JSON.stringify(value.toJSON())
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}
