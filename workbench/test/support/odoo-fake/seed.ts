import { type FieldDef, type ModelDef, OdooDatabase, odooDatetime, type RecordData } from './orm.ts'

export interface SeedOptions {
  /** Odoo major version (16–19): decides hr.expense.sheet (≤ 18) and JSON-2 (19). */
  version: number
  /** Journal items to generate (about; whole moves). Default ~600 for two companies. */
  moveLines?: number
  database?: string
}

/** Day the seeded data is "as of": receivable and payable maturities spread around it. */
export const SEED_TODAY = '2026-11-30'

export const FAKE_USERS = {
  admin: { uid: 2, login: 'admin', password: 'admin-password', apiKey: 'odoo-admin-api-key-0001' },
  /** Sees only the French company. */
  accountantFr: { uid: 6, login: 'compta@azure.example', password: 'compta-password', apiKey: 'odoo-fr-api-key-0006' },
  /** Sales user: no access to accounting models. */
  sales: { uid: 7, login: 'sales@azure.example', password: 'sales-password', apiKey: 'odoo-sales-api-key-07' },
  /** An expense approver (used for hr.expense workflows). */
  manager: { uid: 8, login: 'manager@azure.example', password: 'manager-password', apiKey: 'odoo-mgr-api-key-0008' },
  /** Has only an API key that expired. */
  expired: { uid: 9, login: 'old@azure.example', password: 'old-password-9', apiKey: 'odoo-expired-api-key-9' },
} as const

const m2o = (relation: string, string: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  type: 'many2one',
  relation,
  string,
  ...extra,
})
const char = (string: string, extra: Partial<FieldDef> = {}): FieldDef => ({ type: 'char', string, ...extra })
const money = (string: string, currencyField = 'currency_id'): FieldDef => ({ type: 'monetary', string, currencyField })

/** Builds the fake's database: models for the given version, two companies and their accounting. */
export function seedDatabase(options: SeedOptions): OdooDatabase {
  const db = new OdooDatabase(options.database ?? 'odoo')
  const v = options.version
  defineModels(db, v)
  const rnd = mulberry32(20)
  const at = new Date('2026-09-01T08:00:00Z')

  db.insert('res.currency', { id: 1, name: 'EUR', symbol: '€', active: true }, at)
  db.insert('res.currency', { id: 2, name: 'USD', symbol: '$', active: true }, at)
  db.insert('res.company', { id: 1, name: 'Azure Interior SAS', currency_id: 1, partner_id: 1, country_code: 'FR' }, at)
  db.insert(
    'res.company',
    { id: 2, name: 'Gemini Furniture Inc', currency_id: 2, partner_id: 2, country_code: 'US' },
    at,
  )
  db.insert('res.partner', { id: 1, name: 'Azure Interior SAS', is_company: true, company_id: 1, active: true }, at)
  db.insert('res.partner', { id: 2, name: 'Gemini Furniture Inc', is_company: true, company_id: 2, active: true }, at)
  const customers = [
    'Deco Addict',
    'Lumber Inc',
    'Ready Mat',
    'Wood Corner',
    'The Jackson Group',
    'Gemini Furniture',
    'Acme Corp',
  ]
  const vendors = ['Bureau Vallée', 'Office Depot', 'Papeterie du Centre', 'Azure Supplies']
  const partnerIds: { customers: number[]; vendors: number[] } = { customers: [], vendors: [] }
  for (const name of customers)
    partnerIds.customers.push(
      db.insert('res.partner', { name, is_company: true, customer_rank: 1, active: true, company_id: false }, at),
    )
  for (const name of vendors)
    partnerIds.vendors.push(
      db.insert('res.partner', { name, is_company: true, supplier_rank: 1, active: true, company_id: false }, at),
    )
  // Contacts under companies (for child_of) and one archived partner (for active_test).
  const deco = partnerIds.customers[0] as number
  const contact = db.insert('res.partner', { name: 'Brandon Freeman', parent_id: deco, active: true }, at)
  db.insert('res.partner', { name: 'Nicole Ford', parent_id: contact, active: true }, at)
  db.insert('res.partner', { name: 'Old Customer (archived)', active: false, is_company: true }, at)

  const users: [keyof typeof FAKE_USERS, string, number, number[]][] = [
    ['admin', 'Mitchell Admin', 1, [1, 2]],
    ['accountantFr', 'Claire Comptable', 1, [1]],
    ['sales', 'Sam Sales', 1, [1, 2]],
    ['manager', 'Marc Manager', 1, [1, 2]],
    ['expired', 'Olga Old', 1, [1]],
  ]
  db.insert('res.users', { id: 1, login: '__system__', name: 'OdooBot', company_id: 1, company_ids: [1, 2] }, at)
  for (const [key, name, companyId, companyIds] of users) {
    const u = FAKE_USERS[key]
    const partnerId = db.insert('res.partner', { name, active: true, company_id: false }, at)
    db.insert(
      'res.users',
      { id: u.uid, login: u.login, name, company_id: companyId, company_ids: companyIds, partner_id: partnerId },
      at,
    )
    db.users.set(u.uid, {
      uid: u.uid,
      login: u.login,
      name,
      password: u.password,
      apiKeys: [{ key: u.apiKey, ...(key === 'expired' ? { expiresAt: '2025-01-01 00:00:00' } : {}) }],
      companyId,
      companyIds,
      ...(key === 'sales'
        ? {
            deny: {
              'account.move': ['read', 'write', 'create', 'unlink'],
              'account.move.line': ['read', 'write', 'create', 'unlink'],
              'account.account': ['read'],
            },
          }
        : {}),
      ...(key === 'accountantFr' ? { deny: { 'hr.expense': ['unlink'] } } : {}),
    })
  }

  const products = [
    ['Office Chair', 'product', 180],
    ['Desk Combination', 'product', 450],
    ['Consulting Hour', 'service', 95],
    ['Travel', 'service', 0],
    ['Meals', 'service', 0],
    ['Mileage', 'service', 0.3],
  ] as const
  for (const [name, type, price] of products)
    db.insert(
      'product.product',
      {
        name,
        detailed_type: type,
        list_price: price,
        active: true,
        can_be_expensed: type === 'service',
        default_code: name.slice(0, 4).toUpperCase(),
        company_id: false,
      },
      at,
    )

  const accounts: Record<number, Record<string, number>> = {}
  const journals: Record<number, Record<string, number>> = {}
  for (const company of [1, 2]) {
    const a = (code: string, name: string, account_type: string, reconcile = false) =>
      db.insert(
        'account.account',
        { code, name, account_type, reconcile, company_id: company, active: true, currency_id: false },
        at,
      )
    accounts[company] = {
      receivable: a('411000', 'Account Receivable', 'asset_receivable', true),
      payable: a('401000', 'Account Payable', 'liability_payable', true),
      income: a('701000', 'Product Sales', 'income'),
      expense: a('607000', 'Purchases', 'expense'),
      taxOut: a('445710', 'VAT collected', 'liability_current'),
      taxIn: a('445660', 'VAT deductible', 'asset_current'),
      bank: a('512000', 'Bank', 'asset_cash'),
    }
    const j = (code: string, name: string, type: string) =>
      db.insert('account.journal', { code, name, type, company_id: company, active: true }, at)
    journals[company] = {
      sale: j('INV', 'Customer Invoices', 'sale'),
      purchase: j('BILL', 'Vendor Bills', 'purchase'),
      bank: j('BNK1', 'Bank', 'bank'),
      misc: j('MISC', 'Miscellaneous Operations', 'general'),
    }
  }

  // Journal entries: invoices, bills and payments over Sep–Nov 2026, balanced, with maturities.
  const target = options.moveLines ?? 600
  let lines = 0
  let seq = 0
  const start = Date.parse('2026-09-01T00:00:00Z')
  const span = Date.parse(SEED_TODAY) - start
  const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10)
  const addDays = (date: string, n: number) => dayOf(Date.parse(date) + n * 86_400_000)
  while (lines < target) {
    seq++
    const company = seq % 3 === 0 ? 2 : 1
    const acc = accounts[company] as Record<string, number>
    const jr = journals[company] as Record<string, number>
    const kind = rnd() < 0.55 ? 'out_invoice' : rnd() < 0.8 ? 'in_invoice' : 'entry'
    const date = dayOf(start + Math.floor(rnd() * span))
    const state = rnd() < 0.08 ? 'draft' : rnd() < 0.02 ? 'cancel' : 'posted'
    const untaxed = Math.round((50 + rnd() * 4950) * 100) / 100
    const tax = Math.round(untaxed * 20) / 100
    const total = Math.round((untaxed + tax) * 100) / 100
    const currency = company === 1 ? 1 : 2
    const maturity = addDays(date, [0, 15, 30, 45, 60][Math.floor(rnd() * 5)] as number)
    const paid = state === 'posted' && rnd() < 0.35
    const partial = !paid && state === 'posted' && rnd() < 0.1
    const residualShare = paid ? 0 : partial ? 0.5 : 1
    const partner =
      kind === 'in_invoice'
        ? (partnerIds.vendors[Math.floor(rnd() * partnerIds.vendors.length)] as number)
        : (partnerIds.customers[Math.floor(rnd() * partnerIds.customers.length)] as number)
    const prefix = kind === 'out_invoice' ? 'INV' : kind === 'in_invoice' ? 'BILL' : 'MISC'
    const journal = kind === 'out_invoice' ? jr.sale : kind === 'in_invoice' ? jr.purchase : jr.misc
    const name = state === 'draft' ? '/' : `${prefix}/2026/${String(seq).padStart(6, '0')}`
    const moveId = db.insert(
      'account.move',
      {
        name,
        ref: kind === 'in_invoice' ? `REF-${seq}` : false,
        move_type: kind,
        state,
        date,
        invoice_date: kind === 'entry' ? false : date,
        invoice_date_due: kind === 'entry' ? false : maturity,
        partner_id: kind === 'entry' ? false : partner,
        journal_id: journal,
        company_id: company,
        currency_id: currency,
        amount_untaxed: kind === 'entry' ? total : untaxed,
        amount_tax: kind === 'entry' ? 0 : tax,
        amount_total: total,
        amount_residual: kind === 'entry' ? 0 : Math.round(total * residualShare * 100) / 100,
        payment_state: kind === 'entry' ? 'not_paid' : paid ? 'paid' : partial ? 'partial' : 'not_paid',
      },
      at,
    )
    const line = (values: Record<string, unknown>) => {
      const debit = (values.debit as number) ?? 0
      const credit = (values.credit as number) ?? 0
      db.insert(
        'account.move.line',
        {
          move_id: moveId,
          date,
          partner_id: kind === 'entry' ? false : partner,
          currency_id: currency,
          company_id: company,
          journal_id: journal,
          debit,
          credit,
          balance: Math.round((debit - credit) * 100) / 100,
          amount_currency: Math.round((debit - credit) * 100) / 100,
          amount_residual: 0,
          reconciled: false,
          date_maturity: false,
          display_type: 'product',
          ...values,
        },
        at,
      )
      lines++
    }
    if (kind === 'out_invoice') {
      line({
        account_id: acc.receivable,
        name,
        debit: total,
        date_maturity: maturity,
        display_type: 'payment_term',
        amount_residual: Math.round(total * residualShare * 100) / 100,
        reconciled: paid,
      })
      line({ account_id: acc.income, name: 'Sales', credit: untaxed })
      line({ account_id: acc.taxOut, name: 'VAT 20%', credit: tax, display_type: 'tax' })
    } else if (kind === 'in_invoice') {
      line({ account_id: acc.expense, name: 'Purchases', debit: untaxed })
      line({ account_id: acc.taxIn, name: 'VAT 20%', debit: tax, display_type: 'tax' })
      line({
        account_id: acc.payable,
        name,
        credit: total,
        date_maturity: maturity,
        display_type: 'payment_term',
        amount_residual: -Math.round(total * residualShare * 100) / 100,
        reconciled: paid,
      })
    } else {
      line({ account_id: acc.bank, name: 'Transfer', debit: total })
      line({ account_id: acc.expense, name: 'Bank fees', credit: Math.round(total * 40) / 100 })
      line({
        account_id: acc.income,
        name: 'Other income',
        credit: Math.round((total - Math.round(total * 40) / 100) * 100) / 100,
      })
    }
  }

  // Employees and expenses.
  const employees: Record<number, number[]> = { 1: [], 2: [] }
  const staff: [string, number, number | false][] = [
    ['Mitchell Admin', 1, 2],
    ['Claire Comptable', 1, 6],
    ['Marc Manager', 1, 8],
    ['Jennie Fletcher', 2, false],
    ['Paul Williams', 2, false],
  ]
  for (const [name, company, userId] of staff)
    employees[company]?.push(
      db.insert(
        'hr.employee',
        {
          name,
          company_id: company,
          user_id: userId,
          work_email: `${name.split(' ')[0]?.toLowerCase()}@example.com`,
          active: true,
          parent_id: false,
        },
        at,
      ),
    )
  const travel = 4
  const meals = 5
  const expenses: [number, number, string, number, string][] = [
    [1, meals, 'Lunch with Deco Addict', 42.5, '2026-11-04'],
    [1, travel, 'Train Paris–Lyon', 118, '2026-11-12'],
    [2, meals, 'Team dinner', 230.2, '2026-11-18'],
  ]
  for (const [company, product, name, amount, date] of expenses) {
    const employee = employees[company]?.[0] as number
    const values: Record<string, unknown> = {
      name,
      employee_id: employee,
      product_id: product,
      total_amount_currency: amount,
      total_amount: amount,
      currency_id: company === 1 ? 1 : 2,
      company_id: company,
      date,
      payment_mode: 'own_account',
      state: 'draft',
    }
    if (v <= 18) {
      const sheet = db.insert(
        'hr.expense.sheet',
        { name: `Expenses ${name}`, employee_id: employee, company_id: company, state: 'draft' },
        at,
      )
      values.sheet_id = sheet
    }
    db.insert('hr.expense', values, at)
  }
  db.insert(
    'ir.attachment',
    {
      name: 'receipt-1.txt',
      res_model: 'hr.expense',
      res_id: 1,
      mimetype: 'text/plain',
      datas: Buffer.from('receipt').toString('base64'),
      type: 'binary',
      company_id: 1,
    },
    at,
  )

  for (const model of db.models.values())
    db.insert(
      'ir.model',
      {
        model: model.name,
        name: model.description,
        info: model.description,
        transient: false,
        state: 'base',
        modules: moduleOf(model.name),
      },
      at,
    )
  return db
}

function moduleOf(model: string): string {
  if (model.startsWith('account.')) return 'account'
  if (model.startsWith('hr.expense')) return 'hr_expense'
  if (model.startsWith('hr.')) return 'hr'
  if (model.startsWith('product.')) return 'product'
  return 'base'
}

function defineModels(db: OdooDatabase, version: number): void {
  const company = m2o('res.company', 'Company')
  const models: ModelDef[] = [
    {
      name: 'res.currency',
      description: 'Currency',
      order: 'name',
      fields: {
        name: char('Currency', { required: true }),
        symbol: char('Symbol'),
        active: { type: 'boolean', string: 'Active' },
      },
    },
    {
      name: 'res.company',
      description: 'Companies',
      order: 'name',
      fields: {
        name: char('Company Name', { required: true }),
        currency_id: m2o('res.currency', 'Currency', { required: true }),
        partner_id: m2o('res.partner', 'Partner'),
        country_code: char('Country Code'),
      },
    },
    {
      name: 'res.users',
      description: 'User',
      order: 'name',
      fields: {
        login: char('Login', { required: true }),
        name: char('Name'),
        company_id: company,
        company_ids: { type: 'many2many', relation: 'res.company', string: 'Companies' },
        partner_id: m2o('res.partner', 'Related Partner'),
      },
    },
    {
      name: 'res.partner',
      description: 'Contact',
      order: 'name',
      parentField: 'parent_id',
      companyField: 'company_id',
      fields: {
        name: char('Name', { required: true }),
        is_company: {
          type: 'boolean',
          string: 'Is a Company',
          help: 'Check if the contact is a company, otherwise it is a person',
        },
        parent_id: m2o('res.partner', 'Related Company'),
        child_ids: { type: 'one2many', relation: 'res.partner', inverse: 'parent_id', string: 'Contact' },
        email: char('Email'),
        vat: char('Tax ID', { help: 'The Tax Identification Number.' }),
        customer_rank: { type: 'integer', string: 'Customer Rank' },
        supplier_rank: { type: 'integer', string: 'Supplier Rank' },
        company_id: company,
        active: { type: 'boolean', string: 'Active' },
      },
    },
    {
      name: 'product.product',
      description: 'Product Variant',
      order: 'default_code, name',
      companyField: 'company_id',
      fields: {
        name: char('Name', { required: true }),
        default_code: char('Internal Reference'),
        detailed_type: {
          type: 'selection',
          string: 'Product Type',
          selection: [
            ['consu', 'Consumable'],
            ['service', 'Service'],
            ['product', 'Storable Product'],
          ],
        },
        list_price: { type: 'float', string: 'Sales Price' },
        can_be_expensed: { type: 'boolean', string: 'Can be Expensed' },
        company_id: company,
        active: { type: 'boolean', string: 'Active' },
      },
    },
    {
      name: 'account.account',
      description: 'Account',
      order: 'code',
      companyField: 'company_id',
      recName: 'name',
      fields: {
        code: char('Code', { required: true }),
        name: char('Account Name', { required: true }),
        account_type: {
          type: 'selection',
          string: 'Type',
          required: true,
          help: 'Account Type is used for information purpose, to generate country-specific legal reports.',
          selection: [
            ['asset_receivable', 'Receivable'],
            ['asset_cash', 'Bank and Cash'],
            ['asset_current', 'Current Assets'],
            ['liability_payable', 'Payable'],
            ['liability_current', 'Current Liabilities'],
            ['income', 'Income'],
            ['expense', 'Expenses'],
            ['equity', 'Equity'],
          ],
        },
        reconcile: { type: 'boolean', string: 'Allow Reconciliation' },
        currency_id: m2o('res.currency', 'Account Currency'),
        company_id: company,
        active: { type: 'boolean', string: 'Active' },
      },
    },
    {
      name: 'account.journal',
      description: 'Journal',
      order: 'code',
      companyField: 'company_id',
      fields: {
        name: char('Journal Name', { required: true }),
        code: char('Short Code', { required: true }),
        type: {
          type: 'selection',
          string: 'Type',
          required: true,
          selection: [
            ['sale', 'Sales'],
            ['purchase', 'Purchase'],
            ['cash', 'Cash'],
            ['bank', 'Bank'],
            ['general', 'Miscellaneous'],
          ],
        },
        company_id: company,
        active: { type: 'boolean', string: 'Active' },
      },
    },
    {
      name: 'account.move',
      description: 'Journal Entry',
      order: 'date desc, name desc, id desc',
      companyField: 'company_id',
      fields: {
        name: char('Number', { readonly: true }),
        ref: char('Reference'),
        move_type: {
          type: 'selection',
          string: 'Type',
          required: true,
          selection: [
            ['entry', 'Journal Entry'],
            ['out_invoice', 'Customer Invoice'],
            ['out_refund', 'Customer Credit Note'],
            ['in_invoice', 'Vendor Bill'],
            ['in_refund', 'Vendor Credit Note'],
          ],
        },
        state: {
          type: 'selection',
          string: 'Status',
          required: true,
          selection: [
            ['draft', 'Draft'],
            ['posted', 'Posted'],
            ['cancel', 'Cancelled'],
          ],
        },
        date: { type: 'date', string: 'Date', required: true },
        invoice_date: { type: 'date', string: 'Invoice/Bill Date' },
        invoice_date_due: { type: 'date', string: 'Due Date' },
        partner_id: m2o('res.partner', 'Partner'),
        journal_id: m2o('account.journal', 'Journal', { required: true }),
        company_id: company,
        currency_id: m2o('res.currency', 'Currency', { required: true }),
        line_ids: { type: 'one2many', relation: 'account.move.line', inverse: 'move_id', string: 'Journal Items' },
        amount_untaxed: money('Untaxed Amount'),
        amount_tax: money('Tax'),
        amount_total: money('Total'),
        amount_residual: money('Amount Due'),
        payment_state: {
          type: 'selection',
          string: 'Payment Status',
          selection: [
            ['not_paid', 'Not Paid'],
            ['in_payment', 'In Payment'],
            ['paid', 'Paid'],
            ['partial', 'Partially Paid'],
            ['reversed', 'Reversed'],
          ],
        },
      },
    },
    {
      name: 'account.move.line',
      description: 'Journal Item',
      order: 'date desc, move_name desc, id',
      companyField: 'company_id',
      fields: {
        move_id: m2o('account.move', 'Journal Entry', { required: true }),
        move_name: char('Number', {
          readonly: true,
          stored: true,
          compute: (r, env) => env.db.records.get('account.move')?.get(r.move_id as number)?.name ?? false,
        }),
        name: char('Label'),
        date: { type: 'date', string: 'Date' },
        date_maturity: {
          type: 'date',
          string: 'Due Date',
          help: 'This field is used for payable and receivable journal entries. You can put the limit date for the payment of this line.',
        },
        account_id: m2o('account.account', 'Account', { required: true }),
        account_type: {
          type: 'selection',
          string: 'Internal Type',
          readonly: true,
          stored: true,
          selection: [
            ['asset_receivable', 'Receivable'],
            ['asset_cash', 'Bank and Cash'],
            ['asset_current', 'Current Assets'],
            ['liability_payable', 'Payable'],
            ['liability_current', 'Current Liabilities'],
            ['income', 'Income'],
            ['expense', 'Expenses'],
            ['equity', 'Equity'],
          ],
          compute: (r, env) =>
            env.db.records.get('account.account')?.get(r.account_id as number)?.account_type ?? false,
        },
        journal_id: m2o('account.journal', 'Journal'),
        partner_id: m2o('res.partner', 'Partner'),
        company_id: company,
        company_currency_id: m2o('res.currency', 'Company Currency', {
          readonly: true,
          stored: true,
          compute: (r, env) => env.db.records.get('res.company')?.get(r.company_id as number)?.currency_id ?? false,
        }),
        currency_id: m2o('res.currency', 'Currency', { required: true }),
        debit: money('Debit', 'company_currency_id'),
        credit: money('Credit', 'company_currency_id'),
        balance: money('Balance', 'company_currency_id'),
        amount_currency: money('Amount in Currency'),
        amount_residual: money('Residual Amount', 'company_currency_id'),
        reconciled: { type: 'boolean', string: 'Reconciled' },
        parent_state: {
          type: 'selection',
          string: 'Status',
          readonly: true,
          stored: true,
          selection: [
            ['draft', 'Draft'],
            ['posted', 'Posted'],
            ['cancel', 'Cancelled'],
          ],
          compute: (r, env) => env.db.records.get('account.move')?.get(r.move_id as number)?.state ?? false,
        },
        display_type: {
          type: 'selection',
          string: 'Display Type',
          selection: [
            ['product', 'Product'],
            ['cogs', 'Cost of Goods Sold'],
            ['tax', 'Tax'],
            ['payment_term', 'Payment Term'],
            ['line_section', 'Section'],
            ['line_note', 'Note'],
          ],
        },
        tax_ids: { type: 'many2many', relation: 'account.tax', string: 'Taxes' },
      },
    },
    {
      name: 'account.tax',
      description: 'Tax',
      order: 'name',
      companyField: 'company_id',
      fields: {
        name: char('Tax Name', { required: true }),
        amount: { type: 'float', string: 'Amount' },
        type_tax_use: {
          type: 'selection',
          string: 'Tax Type',
          selection: [
            ['sale', 'Sales'],
            ['purchase', 'Purchases'],
            ['none', 'None'],
          ],
        },
        company_id: company,
      },
    },
    {
      name: 'hr.employee',
      description: 'Employee',
      order: 'name',
      companyField: 'company_id',
      parentField: 'parent_id',
      fields: {
        name: char('Employee Name', { required: true }),
        user_id: m2o('res.users', 'User'),
        parent_id: m2o('hr.employee', 'Manager'),
        work_email: char('Work Email'),
        company_id: company,
        active: { type: 'boolean', string: 'Active' },
      },
    },
    {
      name: 'hr.expense',
      description: 'Expense',
      order: 'date desc, id desc',
      companyField: 'company_id',
      fields: {
        name: char('Description', { required: true }),
        employee_id: m2o('hr.employee', 'Employee', { required: true }),
        product_id: m2o('product.product', 'Category'),
        date: { type: 'date', string: 'Expense Date' },
        total_amount_currency: money('Total In Currency'),
        total_amount: money('Total', 'company_currency_id'),
        company_currency_id: m2o('res.currency', 'Report Company Currency', {
          readonly: true,
          compute: (r, env) => env.db.records.get('res.company')?.get(r.company_id as number)?.currency_id ?? false,
        }),
        currency_id: m2o('res.currency', 'Currency'),
        tax_ids: { type: 'many2many', relation: 'account.tax', string: 'Included taxes' },
        payment_mode: {
          type: 'selection',
          string: 'Paid By',
          selection: [
            ['own_account', 'Employee (to reimburse)'],
            ['company_account', 'Company'],
          ],
        },
        vendor_id: m2o('res.partner', 'Vendor'),
        company_id: company,
        state: {
          type: 'selection',
          string: 'Status',
          selection:
            version >= 19
              ? [
                  ['draft', 'To Submit'],
                  ['submitted', 'Submitted'],
                  ['approved', 'Approved'],
                  ['posted', 'Posted'],
                  ['in_payment', 'In Payment'],
                  ['paid', 'Paid'],
                  ['refused', 'Refused'],
                ]
              : [
                  ['draft', 'To Report'],
                  ['reported', 'To Submit'],
                  ['submitted', 'Submitted'],
                  ['approved', 'Approved'],
                  ['done', 'Done'],
                  ['refused', 'Refused'],
                ],
          default: () => 'draft',
        },
        ...(version <= 18 ? { sheet_id: m2o('hr.expense.sheet', 'Expense Report') } : {}),
      },
    },
    ...(version <= 18
      ? [
          {
            name: 'hr.expense.sheet',
            description: 'Expense Report',
            order: 'accounting_date desc, id desc',
            companyField: 'company_id',
            fields: {
              name: char('Expense Report Summary', { required: true }),
              employee_id: m2o('hr.employee', 'Employee', { required: true }),
              expense_line_ids: {
                type: 'one2many',
                relation: 'hr.expense',
                inverse: 'sheet_id',
                string: 'Expense Lines',
              } as FieldDef,
              accounting_date: { type: 'date', string: 'Accounting Date' } as FieldDef,
              state: {
                type: 'selection',
                string: 'Status',
                selection: [
                  ['draft', 'Draft'],
                  ['submit', 'Submitted'],
                  ['approve', 'Approved'],
                  ['post', 'Posted'],
                  ['done', 'Done'],
                  ['cancel', 'Refused'],
                ],
                default: () => 'draft',
              } as FieldDef,
              company_id: company,
            },
          } satisfies ModelDef,
        ]
      : []),
    {
      name: 'ir.attachment',
      description: 'Attachment',
      order: 'id desc',
      companyField: 'company_id',
      fields: {
        name: char('Name', { required: true }),
        res_model: char('Resource Model'),
        res_id: { type: 'integer', string: 'Resource ID' },
        datas: { type: 'binary', string: 'File Content (base64)' },
        mimetype: char('Mime Type'),
        type: {
          type: 'selection',
          string: 'Type',
          selection: [
            ['url', 'URL'],
            ['binary', 'File'],
          ],
          default: () => 'binary',
        },
        company_id: company,
      },
    },
    {
      name: 'ir.model',
      description: 'Models',
      order: 'model',
      fields: {
        model: char('Model', { required: true }),
        name: char('Model Description', { required: true }),
        info: { type: 'text', string: 'Information' },
        transient: { type: 'boolean', string: 'Transient Model' },
        state: {
          type: 'selection',
          string: 'Type',
          selection: [
            ['manual', 'Custom Object'],
            ['base', 'Base Object'],
          ],
        },
        modules: char('In Apps'),
      },
    },
  ]
  for (const model of models) db.define(model)
}

/** Small deterministic PRNG: the seeded data is the same on every run. */
export function mulberry32(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export { odooDatetime, type RecordData }
