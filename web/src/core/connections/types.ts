import type * as Schema from '@workbench/client'

/** A connection type as `GET /api/connection-types` describes it (a JSON Schema of its parameters). */
export type ConnectionTypeInfo = Omit<ConnectionTypeAnswer, 'schema'> & {
  schema: { properties?: Record<string, JsonSchemaProperty>; required?: string[] }
}
type ConnectionTypeAnswer = Schema.ConnectionType

/** The parts of a parameter's JSON Schema the generated form reads (the server sends the full schema). */
export interface JsonSchemaProperty {
  type?: string
  description?: string
  default?: unknown
  enum?: unknown[]
  minimum?: number
  maximum?: number
  maxLength?: number
}

/** A saved connection: secret fields only as set/unset. */
export type Connection = Schema.Connection
export type TestResult = Schema.ConnectionTestResult

/** One input of a generated form. */
export interface FormField {
  name: string
  label: string
  help: string | undefined
  kind: 'text' | 'number' | 'password' | 'select' | 'textarea'
  options: string[]
  required: boolean
  defaultValue: string
}

/**
 * The form a type's schema asks for, in schema order: secret fields are password inputs, enums are
 * selects, integers are number inputs. A description `Label: help` gives the label and its help text.
 */
export function formFields(type: ConnectionTypeInfo): FormField[] {
  const required = new Set(type.schema.required ?? [])
  return Object.entries(type.schema.properties ?? {}).map(([name, p]) => {
    const description = p.description ?? name
    const colon = description.indexOf(':')
    const kind: FormField['kind'] = type.secretFields.includes(name)
      ? 'password'
      : p.enum
        ? 'select'
        : type.multilineFields.includes(name)
          ? 'textarea'
          : p.type === 'integer' || p.type === 'number'
            ? 'number'
            : 'text'
    return {
      name,
      label: colon > 0 ? description.slice(0, colon) : description,
      help: colon > 0 ? description.slice(colon + 1).trim() : undefined,
      kind,
      options: (p.enum ?? []).map(String),
      required: required.has(name),
      defaultValue: p.default === undefined ? '' : String(p.default),
    }
  })
}

/**
 * Parameters from a form: empty optional fields are left out, numbers become numbers. When editing, an
 * empty secret field is left out too, so the saved secret is kept.
 */
export function paramsFromForm(fields: FormField[], form: FormData): Record<string, unknown> {
  const params: Record<string, unknown> = {}
  for (const f of fields) {
    const raw = String(form.get(f.name) ?? '')
    if (raw === '') continue
    params[f.name] = f.kind === 'number' ? Number(raw) : raw
  }
  return params
}
