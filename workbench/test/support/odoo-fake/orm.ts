import { accessError, missingError, type OdooException, pythonError, userError, validationError } from './errors.ts'

/** Odoo field types the fake models use. */
export type FieldType =
  | 'char'
  | 'text'
  | 'html'
  | 'integer'
  | 'float'
  | 'monetary'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'selection'
  | 'many2one'
  | 'one2many'
  | 'many2many'
  | 'binary'

export interface FieldDef {
  type: FieldType
  string: string
  help?: string
  required?: boolean
  readonly?: boolean
  relation?: string
  /** one2many: the many2one on the comodel pointing back. */
  inverse?: string
  selection?: [string, string][]
  currencyField?: string
  /** A related field Odoo stores (searchable, sortable, `store: true` in fields_get). */
  stored?: boolean
  /** Computed at read time from the record (not stored, not writable). */
  compute?: (record: RecordData, env: Env) => unknown
  default?: (env: Env) => unknown
}

export interface ModelDef {
  name: string
  description: string
  order: string
  fields: Record<string, FieldDef>
  /** Field holding the parent for `child_of`/`parent_of`. */
  parentField?: string
  /** Record rule: records are visible only for their company (company_id in allowed companies, or unset). */
  companyField?: string
  /** Field `name_search` (many2one leaves with text) matches on. */
  recName?: string
}

export type RecordData = Record<string, unknown> & { id: number }

export interface User {
  uid: number
  login: string
  name: string
  password: string
  apiKeys: { key: string; expiresAt?: string }[]
  companyId: number
  companyIds: number[]
  /** Operations refused per model (`read`, `write`, `create`, `unlink`); `*` for every model. */
  deny?: Record<string, ('read' | 'write' | 'create' | 'unlink')[]>
}

export type Operation = 'read' | 'write' | 'create' | 'unlink'

const OP_WORD: Record<Operation, string> = { read: 'access', write: 'modify', create: 'create', unlink: 'delete' }

/** The fake's database: models, records in id order, and a clock for write_date. */
export class OdooDatabase {
  readonly models = new Map<string, ModelDef>()
  readonly records = new Map<string, Map<number, RecordData>>()
  readonly nextId = new Map<string, number>()
  readonly users = new Map<number, User>()
  /** Changes the write_date clock; tests move it forward. */
  now = () => new Date()
  private readonly idIndex = new Map<string, number[]>()

  /** Ids of a model in ascending order (cached until the next insert or delete). */
  sortedIds(model: string): number[] {
    let ids = this.idIndex.get(model)
    if (!ids) {
      ids = [...(this.records.get(model) as Map<number, RecordData>).keys()].sort((a, b) => a - b)
      this.idIndex.set(model, ids)
    }
    return ids
  }

  /** Forgets the id index of a model (after an insert or a delete). */
  touched(model: string): void {
    this.idIndex.delete(model)
  }

  constructor(readonly name: string) {}

  define(model: ModelDef): void {
    const common: Record<string, FieldDef> = {
      id: { type: 'integer', string: 'ID', readonly: true },
      display_name: {
        type: 'char',
        string: 'Display Name',
        readonly: true,
        compute: (r) => r[model.recName ?? 'name'] ?? `${model.name},${r.id}`,
      },
      create_date: { type: 'datetime', string: 'Created on', readonly: true },
      write_date: { type: 'datetime', string: 'Last Updated on', readonly: true },
      create_uid: { type: 'many2one', string: 'Created by', relation: 'res.users', readonly: true },
      write_uid: { type: 'many2one', string: 'Last Updated by', relation: 'res.users', readonly: true },
    }
    const fields = { ...common, ...model.fields }
    // Odoo's `active` fields default to True.
    if (fields.active && !fields.active.default) fields.active = { ...fields.active, default: () => true }
    this.models.set(model.name, { ...model, fields })
    this.records.set(model.name, new Map())
    this.nextId.set(model.name, 1)
  }

  /** Inserts seed data as is (no access checks), stamping dates. */
  insert(model: string, values: Record<string, unknown>, at = this.now()): number {
    const table = this.records.get(model)
    if (!table) throw new Error(`no model ${model}`)
    const id = (values.id as number | undefined) ?? (this.nextId.get(model) as number)
    const stamp = odooDatetime(at)
    table.set(id, { create_date: stamp, write_date: stamp, create_uid: 1, write_uid: 1, ...values, id })
    this.touched(model)
    this.nextId.set(model, Math.max(id + 1, this.nextId.get(model) as number))
    return id
  }
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, as Odoo stores and sends datetimes. */
export function odooDatetime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ')
}

/** The environment of one call: the database, the user, the context. */
export class Env {
  readonly allowedCompanyIds: number[]
  readonly activeTest: boolean

  constructor(
    readonly db: OdooDatabase,
    readonly user: User,
    readonly context: Record<string, unknown> = {},
  ) {
    const asked = Array.isArray(context.allowed_company_ids) ? (context.allowed_company_ids as number[]) : undefined
    if (asked) {
      const refused = asked.filter((c) => !user.companyIds.includes(c))
      if (refused.length > 0) throw accessError(`Access to unauthorized or invalid companies.`)
    }
    this.allowedCompanyIds = asked && asked.length > 0 ? asked : [user.companyId]
    this.activeTest = context.active_test !== false
  }

  model(name: string): Model {
    const def = this.db.models.get(name)
    if (!def) throw pythonError('builtins.KeyError', `'${name}'`)
    return new Model(this, def)
  }
}

type Node =
  | { kind: 'leaf'; path: string[]; op: string; value: unknown }
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'not'; inner: Node }
  | { kind: 'const'; value: boolean }

const OPERATORS = new Set([
  '=',
  '!=',
  '<>',
  '<',
  '>',
  '<=',
  '>=',
  'in',
  'not in',
  'like',
  'not like',
  'ilike',
  'not ilike',
  '=like',
  '=ilike',
  'child_of',
  'parent_of',
])

/** One model in one environment: the ORM methods the external API reaches. */
export class Model {
  constructor(
    readonly env: Env,
    readonly def: ModelDef,
  ) {}

  private get table(): Map<number, RecordData> {
    return this.env.db.records.get(this.def.name) as Map<number, RecordData>
  }

  checkAccess(op: Operation): void {
    const deny = this.env.user.deny ?? {}
    const refused = [...(deny[this.def.name] ?? []), ...(deny['*'] ?? [])]
    if (refused.includes(op))
      throw accessError(
        `You are not allowed to ${OP_WORD[op]} '${this.def.description}' (${this.def.name}) records.\n\n` +
          'This operation is allowed for the following groups:\n\t- Accounting/Billing\n\n' +
          'Contact your administrator to request access if necessary.',
      )
  }

  private visible(r: RecordData): boolean {
    if (this.def.companyField) {
      const c = r[this.def.companyField]
      if (c && !this.env.allowedCompanyIds.includes(c as number)) return false
    }
    return true
  }

  private field(name: string): FieldDef {
    const f = this.def.fields[name]
    if (!f) throw pythonError('builtins.ValueError', `Invalid field '${name}' on model '${this.def.name}'`)
    return f
  }

  // --- domains -------------------------------------------------------------------------------------

  parseDomain(domain: unknown): Node {
    if (domain === undefined || domain === null || domain === false) return { kind: 'const', value: true }
    if (!Array.isArray(domain))
      throw pythonError('builtins.ValueError', `Invalid domain: expected a list, got ${JSON.stringify(domain)}`)
    const nodes: Node[] = []
    let i = 0
    const next = (): Node => {
      if (i >= domain.length) throw pythonError('builtins.ValueError', `Invalid domain: ${JSON.stringify(domain)}`)
      const token = domain[i++]
      if (token === '&' || token === '|') {
        const left = next()
        const right = next()
        return { kind: token === '&' ? 'and' : 'or', left, right }
      }
      if (token === '!') return { kind: 'not', inner: next() }
      return this.leaf(token)
    }
    while (i < domain.length) nodes.push(next())
    if (nodes.length === 0) return { kind: 'const', value: true }
    return nodes.reduceRight((right, left) => ({ kind: 'and', left, right }))
  }

  private leaf(token: unknown): Node {
    if (!Array.isArray(token) || token.length !== 3)
      throw pythonError('builtins.ValueError', `Invalid leaf ${JSON.stringify(token)}`)
    const [left, op, value] = token as [unknown, unknown, unknown]
    if (left === 1 && op === '=' && value === 1) return { kind: 'const', value: true }
    if (left === 0 && op === '=' && value === 1) return { kind: 'const', value: false }
    if (typeof left !== 'string' || typeof op !== 'string' || !OPERATORS.has(op.toLowerCase()))
      throw pythonError('builtins.ValueError', `Invalid leaf ${JSON.stringify(token)}`)
    const path = left.split('.')
    // Every segment must exist on its model.
    let def = this.def
    for (const [n, segment] of path.entries()) {
      const f = def.fields[segment]
      if (!f)
        throw pythonError(
          'builtins.ValueError',
          `Invalid field ${def.name}.${segment} in leaf ${JSON.stringify(token).replace(/"/g, "'")}`,
        )
      if (n < path.length - 1) {
        if (!f.relation) throw pythonError('builtins.ValueError', `Invalid path ${left}: ${segment} is not relational`)
        def = this.env.db.models.get(f.relation) as ModelDef
      }
    }
    return { kind: 'leaf', path, op: op.toLowerCase() === '<>' ? '!=' : op.toLowerCase(), value }
  }

  matches(node: Node, r: RecordData): boolean {
    switch (node.kind) {
      case 'const':
        return node.value
      case 'and':
        return this.matches(node.left, r) && this.matches(node.right, r)
      case 'or':
        return this.matches(node.left, r) || this.matches(node.right, r)
      case 'not':
        return !this.matches(node.inner, r)
      case 'leaf':
        return this.leafMatches(node.path, node.op, node.value, r)
    }
  }

  private leafMatches(path: string[], op: string, value: unknown, r: RecordData): boolean {
    const [head, ...rest] = path as [string, ...string[]]
    const f = this.field(head)
    if (rest.length > 0) {
      const comodel = this.env.model(f.relation as string)
      const ids = relIds(this.value(r, head))
      return ids.some((id) => {
        const target = comodel.table.get(id)
        return target !== undefined && comodel.leafMatches(rest, op, value, target)
      })
    }
    const raw = this.value(r, head)
    if (op === 'child_of' || op === 'parent_of') return this.hierarchy(head, f, raw, op, value, r)
    if (f.type === 'many2one' || f.type === 'many2many' || f.type === 'one2many') {
      const ids = relIds(raw)
      const comodel = this.env.model(f.relation as string)
      const nameOf = (id: number) => String(comodel.table.get(id)?.[comodel.def.recName ?? 'name'] ?? '')
      const textual = typeof value === 'string' || (Array.isArray(value) && value.some((v) => typeof v === 'string'))
      if (textual && op !== '=' && op !== '!=' && op !== 'in' && op !== 'not in') {
        const hit = ids.some((id) => compare(nameOf(id), op, value))
        return op.startsWith('not ') ? !ids.some((id) => compare(nameOf(id), op.slice(4), value)) : hit
      }
      if (op === '=' || op === 'in') {
        const wanted = (Array.isArray(value) ? value : [value]) as unknown[]
        if (ids.length === 0) return wanted.includes(false)
        return ids.some((id) => wanted.some((w) => (typeof w === 'string' ? nameOf(id) === w : w === id)))
      }
      if (op === '!=' || op === 'not in') {
        const wanted = (Array.isArray(value) ? value : [value]) as unknown[]
        if (ids.length === 0) return !wanted.includes(false)
        return !ids.some((id) => wanted.some((w) => (typeof w === 'string' ? nameOf(id) === w : w === id)))
      }
      return ids.some((id) => compare(id, op, value))
    }
    return compare(raw, op, value)
  }

  private hierarchy(head: string, f: FieldDef, raw: unknown, op: string, value: unknown, r: RecordData): boolean {
    const comodelName = head === 'id' ? this.def.name : f.relation
    if (!comodelName) throw pythonError('builtins.ValueError', `child_of on a non-relational field ${head}`)
    const comodel = this.env.model(comodelName)
    const parentField = comodel.def.parentField ?? 'parent_id'
    const roots = new Set<number>()
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'number') roots.add(v)
      else if (typeof v === 'string')
        for (const rec of comodel.table.values()) if (rec[comodel.def.recName ?? 'name'] === v) roots.add(rec.id)
    }
    const ids = head === 'id' ? [r.id] : relIds(raw)
    const ancestors = (id: number) => {
      const seen: number[] = []
      let cur: number | undefined = id
      while (cur && !seen.includes(cur)) {
        seen.push(cur)
        cur = (comodel.table.get(cur)?.[parentField] as number | false | undefined) || undefined
      }
      return seen
    }
    if (op === 'child_of') return ids.some((id) => ancestors(id).some((a) => roots.has(a)))
    return ids.some((id) => [...roots].some((root) => ancestors(root).includes(id)))
  }

  /** A field's stored or computed value (x2many as id lists, many2one as id or false). */
  value(r: RecordData, name: string): unknown {
    const f = this.field(name)
    if (f.compute) return f.compute(r, this.env)
    if (f.type === 'one2many') {
      const comodel = this.env.db.records.get(f.relation as string) as Map<number, RecordData>
      const ids: number[] = []
      for (const rec of comodel.values()) if (rec[f.inverse as string] === r.id) ids.push(rec.id)
      return ids
    }
    const v = r[name]
    if (v === undefined || v === null) return f.type === 'many2many' ? [] : false
    return v
  }

  // --- ORM methods ---------------------------------------------------------------------------------

  search(domain: unknown, options: { offset?: number; limit?: number | false; order?: string } = {}): number[] {
    this.checkAccess('read')
    let node = this.parseDomain(domain)
    if (this.env.activeTest && this.def.fields.active && !mentions(node, 'active'))
      node = { kind: 'and', left: { kind: 'leaf', path: ['active'], op: '=', value: true }, right: node }
    const order = this.orderOf(options.order)
    const offset = options.offset ?? 0
    const limit =
      options.limit === false || options.limit === undefined || options.limit === null ? Infinity : options.limit
    const byId = order.length === 1 && order[0]?.field === 'id'
    // Keyset paging on `id` (the usual extraction shape) is answered without sorting the whole table.
    if (byId && order[0]?.desc === false) {
      const out: number[] = []
      let skipped = 0
      const ids = this.env.db.sortedIds(this.def.name)
      for (let k = lowerBound(ids, idFloor(node)); k < ids.length; k++) {
        const r = this.table.get(ids[k] as number) as RecordData
        if (!this.visible(r) || !this.matches(node, r)) continue
        if (skipped < offset) {
          skipped++
          continue
        }
        out.push(r.id)
        if (out.length >= limit) break
      }
      return out
    }
    const cmp = (a: RecordData, b: RecordData) => {
      for (const { field, desc } of order) {
        const c = sortCompare(this.sortKey(a, field), this.sortKey(b, field))
        if (c !== 0) return desc ? -c : c
      }
      return a.id - b.id
    }
    const wanted = offset + limit
    const hits: RecordData[] = []
    for (const r of this.table.values()) {
      if (!this.visible(r) || !this.matches(node, r)) continue
      // A small page (the newest record, a preview) keeps only its top rows, as an index would.
      if (wanted <= 100) {
        if (hits.length === wanted && cmp(r, hits[wanted - 1] as RecordData) >= 0) continue
        let k = hits.length
        while (k > 0 && cmp(r, hits[k - 1] as RecordData) < 0) k--
        hits.splice(k, 0, r)
        if (hits.length > wanted) hits.pop()
      } else hits.push(r)
    }
    if (wanted > 100) hits.sort(cmp)
    return hits.slice(offset, offset + limit).map((r) => r.id)
  }

  private sortKey(r: RecordData, field: string): unknown {
    const f = this.field(field)
    const v = this.value(r, field)
    if (f.type === 'many2one' && typeof v === 'number') {
      const comodel = this.env.model(f.relation as string)
      return comodel.table.get(v)?.[comodel.def.recName ?? 'name'] ?? v
    }
    return v
  }

  private orderOf(spec: string | undefined): { field: string; desc: boolean }[] {
    const text = spec?.trim() ? spec : this.def.order
    return text.split(',').map((part) => {
      const [field = '', dir = 'asc', ...extra] = part.trim().split(/\s+/)
      const desc = dir.toLowerCase() === 'desc'
      if (
        !this.def.fields[field] ||
        !/^(asc|desc)$/i.test(dir) ||
        (extra.length > 0 && !/^nulls$/i.test(extra[0] ?? ''))
      )
        throw pythonError('builtins.ValueError', `Invalid "order" specified (${spec}).`)
      return { field, desc }
    })
  }

  /** Counts without ordering (as Odoo's `SELECT count(*)` does). */
  searchCount(domain: unknown): number {
    return this.search(domain, { order: 'id' }).length
  }

  read(ids: number[], fields?: string[]): Record<string, unknown>[] {
    this.checkAccess('read')
    const names =
      fields && fields.length > 0
        ? fields
        : Object.keys(this.def.fields).filter((n) => this.def.fields[n]?.type !== 'binary')
    for (const n of names) this.field(n)
    return ids.map((id) => {
      const r = this.table.get(id)
      if (!r)
        throw missingError(
          `Record does not exist or has been deleted.\n(Record: ${this.def.name}(${id},), User: ${this.env.user.uid})`,
        )
      if (!this.visible(r))
        throw accessError(
          `Due to security restrictions, you are not allowed to access '${this.def.description}' (${this.def.name}) records.\n\n` +
            `Records: ${this.def.name}(${id},)\nUser: ${this.env.user.name} (id=${this.env.user.uid})\n\n` +
            'This restriction is due to the following rules:\n- Multi-company rule',
        )
      const out: Record<string, unknown> = { id }
      for (const n of names) out[n] = this.external(r, n)
      return out
    })
  }

  /** A value as Odoo sends it: many2one as `[id, display_name]`, unset as `false`. */
  private external(r: RecordData, name: string): unknown {
    const f = this.def.fields[name] as FieldDef
    const v = this.value(r, name)
    if (f.type === 'many2one') {
      if (!v) return false
      const comodel = this.env.model(f.relation as string)
      const target = comodel.table.get(v as number)
      return [v, target ? (comodel.value(target, 'display_name') as string) : '']
    }
    if (v === null || v === undefined) return false
    return v
  }

  searchRead(
    domain: unknown,
    fields: string[] | undefined,
    options: { offset?: number; limit?: number | false; order?: string },
  ): Record<string, unknown>[] {
    return this.read(this.search(domain, options), fields)
  }

  fieldsGet(allfields?: string[], attributes?: string[]): Record<string, Record<string, unknown>> {
    this.checkAccess('read')
    const out: Record<string, Record<string, unknown>> = {}
    for (const [name, f] of Object.entries(this.def.fields)) {
      if (allfields && allfields.length > 0 && !allfields.includes(name)) continue
      const desc: Record<string, unknown> = {
        type: f.type,
        string: f.string,
        help: f.help ?? '',
        required: f.required ?? false,
        readonly: f.readonly ?? Boolean(f.compute),
        store: f.stored ?? (!f.compute && f.type !== 'one2many'),
        sortable: (f.stored ?? !f.compute) && f.type !== 'one2many' && f.type !== 'many2many',
        searchable: true,
        name,
      }
      if (f.relation) desc.relation = f.relation
      if (f.inverse) desc.relation_field = f.inverse
      if (f.selection) desc.selection = f.selection
      if (f.currencyField) desc.currency_field = f.currencyField
      out[name] =
        attributes && attributes.length > 0
          ? Object.fromEntries(attributes.filter((a) => a in desc).map((a) => [a, desc[a]]))
          : desc
    }
    return out
  }

  create(values: Record<string, unknown>[]): number[] {
    this.checkAccess('create')
    return values.map((vals) => {
      const clean = this.clean(vals)
      for (const [name, f] of Object.entries(this.def.fields)) {
        if (clean[name] === undefined && f.default) clean[name] = f.default(this.env)
        if (f.required && (clean[name] === undefined || clean[name] === false || clean[name] === ''))
          throw validationError(
            'The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n' +
              '- Delete: another model requires the record being deleted. If possible, archive it instead.\n\n' +
              `Model: ${this.def.description} (${this.def.name})\nField: ${f.string} (${name})`,
          )
      }
      if (this.def.companyField && clean[this.def.companyField] === undefined)
        clean[this.def.companyField] = this.env.allowedCompanyIds[0]
      const company = this.def.companyField ? clean[this.def.companyField] : undefined
      if (company && !this.env.allowedCompanyIds.includes(company as number))
        throw userError(`Incompatible companies on records: the record belongs to a company you cannot access.`)
      const id = this.env.db.insert(this.def.name, {
        ...clean,
        create_uid: this.env.user.uid,
        write_uid: this.env.user.uid,
      })
      return id
    })
  }

  write(ids: number[], vals: Record<string, unknown>): true {
    this.checkAccess('write')
    const clean = this.clean(vals)
    const records = this.browse(ids)
    for (const [name, v] of Object.entries(clean)) {
      const f = this.def.fields[name] as FieldDef
      if (f.required && (v === false || v === ''))
        throw validationError(
          'The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n\n' +
            `Model: ${this.def.description} (${this.def.name})\nField: ${f.string} (${name})`,
        )
    }
    const stamp = odooDatetime(this.env.db.now())
    for (const r of records) Object.assign(r, clean, { write_date: stamp, write_uid: this.env.user.uid })
    return true
  }

  unlink(ids: number[]): true {
    this.checkAccess('unlink')
    this.browse(ids)
    for (const id of ids) this.table.delete(id)
    this.env.db.touched(this.def.name)
    return true
  }

  private browse(ids: number[]): RecordData[] {
    return ids.map((id) => {
      const r = this.table.get(id)
      if (!r || !this.visible(r))
        throw missingError(
          `Record does not exist or has been deleted.\n(Record: ${this.def.name}(${id},), User: ${this.env.user.uid})`,
        )
      return r
    })
  }

  /** Values to store: known, writable fields; many2one `[id, name]` or id; x2many commands. */
  private clean(vals: Record<string, unknown>): Record<string, unknown> {
    if (typeof vals !== 'object' || vals === null || Array.isArray(vals))
      throw pythonError('builtins.TypeError', `values must be a dict, got ${JSON.stringify(vals)}`)
    const out: Record<string, unknown> = {}
    for (const [name, v] of Object.entries(vals)) {
      const f = this.field(name)
      if (f.compute || name === 'id' || name === 'create_date' || name === 'write_date') continue
      if (f.type === 'many2one') out[name] = v === false || v === null ? false : this.relId(f, v)
      else if (f.type === 'many2many') out[name] = this.commands(f, v)
      else if (f.type === 'selection' && v !== false && !f.selection?.some(([key]) => key === v))
        throw pythonError('builtins.ValueError', `Wrong value for ${this.def.name}.${name}: ${JSON.stringify(v)}`)
      else if (
        (f.type === 'integer' || f.type === 'float' || f.type === 'monetary') &&
        v !== false &&
        typeof v !== 'number'
      )
        throw pythonError('builtins.ValueError', `could not convert string to float: ${JSON.stringify(v)}`)
      else out[name] = v
    }
    return out
  }

  private relId(f: FieldDef, v: unknown): number {
    const id = Array.isArray(v) ? v[0] : v
    if (typeof id !== 'number' || !Number.isInteger(id))
      throw pythonError('builtins.ValueError', `Wrong value for a many2one: ${JSON.stringify(v)}`)
    const comodel = this.env.db.records.get(f.relation as string) as Map<number, RecordData>
    if (!comodel.has(id))
      throw missingError(
        `Record does not exist or has been deleted.\n(Record: ${f.relation}(${id},), User: ${this.env.user.uid})`,
      )
    return id
  }

  /** x2many commands: `(6, 0, ids)`, `(4, id)`, `(3, id)`, `(5,)`, or a plain id list. */
  private commands(f: FieldDef, v: unknown): number[] {
    if (!Array.isArray(v)) throw pythonError('builtins.ValueError', `Wrong value for ${f.string}: ${JSON.stringify(v)}`)
    let ids: number[] = []
    for (const c of v) {
      if (typeof c === 'number') ids.push(c)
      else if (Array.isArray(c) && c[0] === 6) ids = [...(c[2] as number[])]
      else if (Array.isArray(c) && c[0] === 4) ids.push(c[1] as number)
      else if (Array.isArray(c) && c[0] === 3) ids = ids.filter((i) => i !== c[1])
      else if (Array.isArray(c) && c[0] === 5) ids = []
      else throw pythonError('builtins.ValueError', `Unsupported x2many command ${JSON.stringify(c)}`)
    }
    return ids
  }
}

/** The smallest id a domain can match when it ANDs `('id', '>', n)` or `('id', '>=', n)` at its top. */
function idFloor(node: Node): number {
  if (node.kind === 'and') return Math.max(idFloor(node.left), idFloor(node.right))
  if (node.kind === 'leaf' && node.path.length === 1 && node.path[0] === 'id' && typeof node.value === 'number') {
    if (node.op === '>') return node.value + 1
    if (node.op === '>=') return node.value
  }
  return 0
}

function lowerBound(ids: number[], floor: number): number {
  let lo = 0
  let hi = ids.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((ids[mid] as number) < floor) lo = mid + 1
    else hi = mid
  }
  return lo
}

function mentions(node: Node, field: string): boolean {
  if (node.kind === 'leaf') return node.path[0] === field
  if (node.kind === 'not') return mentions(node.inner, field)
  if (node.kind === 'const') return false
  return mentions(node.left, field) || mentions(node.right, field)
}

function relIds(v: unknown): number[] {
  if (Array.isArray(v)) return v as number[]
  return typeof v === 'number' ? [v] : []
}

function sortCompare(a: unknown, b: unknown): number {
  // Odoo sorts NULLs last in ascending order (PostgreSQL's default).
  const na = a === false || a === null || a === undefined
  const nb = b === false || b === null || b === undefined
  if (na || nb) return na === nb ? 0 : na ? 1 : -1
  if (typeof a === 'number' && typeof b === 'number') return a - b
  const sa = String(a)
  const sb = String(b)
  return sa < sb ? -1 : sa > sb ? 1 : 0
}

function likeRegex(pattern: string, flags: string): RegExp {
  const body = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.')
  return new RegExp(`^${body}$`, flags)
}

/** Compares one scalar the way Odoo's SQL does (NULL never matches an ordering). */
export function compare(raw: unknown, op: string, value: unknown): boolean {
  const unset = raw === false || raw === null || raw === undefined || raw === ''
  switch (op) {
    case '=':
      if (value === false || value === null) return unset
      return raw === value
    case '!=':
      if (value === false || value === null) return !unset
      return unset || raw !== value
    case '<':
    case '>':
    case '<=':
    case '>=': {
      if (unset || value === false || value === null) return false
      const c = sortCompare(raw, value)
      return op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0
    }
    case 'in':
    case 'not in': {
      if (!Array.isArray(value)) throw pythonError('builtins.ValueError', `The value of "${op}" must be a list`)
      const hit = unset ? value.includes(false) : value.includes(raw)
      return op === 'in' ? hit : !hit
    }
    case 'like':
    case 'ilike':
    case 'not like':
    case 'not ilike': {
      const insensitive = op.includes('ilike')
      const needle = String(value ?? '')
      const hay = unset ? '' : String(raw)
      const hit = unset ? false : likeRegex(`%${needle}%`, insensitive ? 'is' : 's').test(hay)
      return op.startsWith('not ') ? unset || !hit : hit
    }
    case '=like':
    case '=ilike':
      if (unset) return false
      return likeRegex(String(value ?? ''), op === '=ilike' ? 'is' : 's').test(String(raw))
    default:
      throw pythonError('builtins.ValueError', `Invalid operator ${op}`)
  }
}

export type { OdooException }
