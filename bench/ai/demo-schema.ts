/**
 * The demo workspace of the assistant benchmark: a small company's sales and accounting, generated
 * deterministically in DuckDB (hash-based, no randomness), so gold answers are stable across runs.
 */
export const DEMO_TABLES: { name: string; description: string; sql: string }[] = [
  {
    name: 'regions',
    description: 'Sales regions',
    sql: `CREATE TABLE regions AS SELECT * FROM (VALUES (1, 'North', 'EU'), (2, 'South', 'EU'), (3, 'East', 'APAC'), (4, 'West', 'AMER')) t(id, name, continent)`,
  },
  {
    name: 'sales_reps',
    description: 'Sales representatives and their region',
    sql: `CREATE TABLE sales_reps AS SELECT i AS id, 'Rep ' || i AS name, 1 + (i % 4) AS region_id, DATE '2020-01-01' + CAST(i * 97 % 1400 AS INTEGER) AS hired_on FROM range(1, 13) r(i)`,
  },
  {
    name: 'customers',
    description: 'Customers who buy from us; segment is retail, smb or enterprise',
    sql: `CREATE TABLE customers AS SELECT i AS id, 'Customer ' || i AS name, 'customer' || i || '@example.com' AS email,
      ['France', 'Germany', 'Spain', 'Japan', 'United States', 'Brazil'][1 + (hash(i) % 6)::INTEGER] AS country,
      ['retail', 'smb', 'enterprise'][1 + (hash(i * 7) % 3)::INTEGER] AS segment,
      DATE '2022-01-01' + CAST(hash(i * 13) % 900 AS INTEGER) AS signed_up_on FROM range(1, 201) r(i)`,
  },
  {
    name: 'products',
    description: 'Products we sell with their list price',
    sql: `CREATE TABLE products AS SELECT i AS id, 'Product ' || i AS name,
      ['hardware', 'software', 'services', 'support'][1 + (i % 4)] AS category,
      CAST(10 + (hash(i * 3) % 490) AS DECIMAL(10, 2)) AS list_price FROM range(1, 41) r(i)`,
  },
  {
    name: 'orders',
    description: 'Sales orders; status is completed, cancelled or pending; channel is web, partner or direct',
    sql: `CREATE TABLE orders AS SELECT i AS id, 1 + (hash(i) % 200)::INTEGER AS customer_id, 1 + (hash(i * 5) % 12)::INTEGER AS sales_rep_id,
      DATE '2024-01-01' + CAST(hash(i * 11) % 700 AS INTEGER) AS ordered_on,
      CASE WHEN hash(i * 17) % 10 = 0 THEN 'cancelled' WHEN hash(i * 17) % 10 = 1 THEN 'pending' ELSE 'completed' END AS status,
      ['web', 'partner', 'direct'][1 + (hash(i * 19) % 3)::INTEGER] AS channel FROM range(1, 1501) r(i)`,
  },
  {
    name: 'order_items',
    description: 'Lines of each order: product, quantity and the unit price charged',
    sql: `CREATE TABLE order_items AS SELECT row_number() OVER () AS id, o.id AS order_id, 1 + (hash(o.id * 23 + k) % 40)::INTEGER AS product_id,
      1 + (hash(o.id * 29 + k) % 5)::INTEGER AS quantity, CAST(10 + (hash(o.id * 31 + k) % 490) AS DECIMAL(10, 2)) AS unit_price
      FROM orders o, range(0, 3) r(k) WHERE k < 1 + hash(o.id) % 3`,
  },
  {
    name: 'invoices',
    description: 'Invoices issued for completed orders; status is paid, open or overdue',
    sql: `CREATE TABLE invoices AS SELECT o.id AS id, o.id AS order_id, o.customer_id, o.ordered_on + 1 AS issued_on, o.ordered_on + 31 AS due_on,
      (SELECT sum(quantity * unit_price) FROM order_items li WHERE li.order_id = o.id) AS amount,
      CASE WHEN hash(o.id * 37) % 5 = 0 THEN 'overdue' WHEN hash(o.id * 37) % 5 = 1 THEN 'open' ELSE 'paid' END AS status
      FROM orders o WHERE o.status = 'completed'`,
  },
  {
    name: 'payments',
    description: 'Payments received against invoices; method is card, transfer or cheque',
    sql: `CREATE TABLE payments AS SELECT i.id AS id, i.id AS invoice_id, i.issued_on + CAST(hash(i.id) % 40 AS INTEGER) AS paid_on, i.amount,
      ['card', 'transfer', 'cheque'][1 + (hash(i.id * 41) % 3)::INTEGER] AS method FROM invoices i WHERE i.status = 'paid'`,
  },
  {
    name: 'accounts',
    description: 'Chart of accounts (general ledger); type is asset, liability, revenue or expense',
    sql: `CREATE TABLE accounts AS SELECT * FROM (VALUES (1, '1000', 'Cash', 'asset'), (2, '1200', 'Accounts receivable', 'asset'),
      (3, '2000', 'Accounts payable', 'liability'), (4, '4000', 'Sales revenue', 'revenue'), (5, '4100', 'Service revenue', 'revenue'),
      (6, '6000', 'Salaries', 'expense'), (7, '6100', 'Rent', 'expense'), (8, '6200', 'Marketing', 'expense')) t(id, code, name, type)`,
  },
  {
    name: 'journal_entries',
    description: 'General ledger journal lines: a debit or a credit amount on one account',
    sql: `CREATE TABLE journal_entries AS SELECT i AS id, DATE '2024-01-01' + CAST(hash(i * 43) % 700 AS INTEGER) AS entry_date,
      1 + (hash(i * 47) % 8)::INTEGER AS account_id,
      CASE WHEN i % 2 = 0 THEN CAST(50 + hash(i * 53) % 5000 AS DECIMAL(12, 2)) ELSE 0 END AS debit,
      CASE WHEN i % 2 = 1 THEN CAST(50 + hash(i * 53) % 5000 AS DECIMAL(12, 2)) ELSE 0 END AS credit,
      'Entry ' || i AS memo FROM range(1, 3001) r(i)`,
  },
  {
    name: 'expenses',
    description: 'Company expenses by category and department',
    sql: `CREATE TABLE expenses AS SELECT i AS id, DATE '2024-01-01' + CAST(hash(i * 59) % 700 AS INTEGER) AS spent_on,
      ['travel', 'software', 'office', 'marketing', 'training'][1 + (hash(i * 61) % 5)::INTEGER] AS category,
      ['sales', 'engineering', 'finance', 'support'][1 + (hash(i * 67) % 4)::INTEGER] AS department,
      CAST(20 + hash(i * 71) % 2000 AS DECIMAL(10, 2)) AS amount FROM range(1, 801) r(i)`,
  },
]

export type Difficulty = 'easy' | 'medium' | 'hard'

export interface BenchQuestion {
  question: string
  gold: string
  difficulty: Difficulty
}
