import type { BenchQuestion } from './demo-schema.ts'

/** 54 questions over the demo schema with gold SQL; graded by comparing result sets, never SQL text. */
export const QUESTIONS: BenchQuestion[] = [
  // easy: one table, a filter or one aggregate
  { difficulty: 'easy', question: 'How many customers do we have?', gold: 'SELECT count(*) FROM main.customers' },
  { difficulty: 'easy', question: 'How many products are there?', gold: 'SELECT count(*) FROM main.products' },
  {
    difficulty: 'easy',
    question: 'How many orders were cancelled?',
    gold: "SELECT count(*) FROM main.orders WHERE status = 'cancelled'",
  },
  {
    difficulty: 'easy',
    question: 'How many customers are in France?',
    gold: "SELECT count(*) FROM main.customers WHERE country = 'France'",
  },
  { difficulty: 'easy', question: 'List the names of the sales regions.', gold: 'SELECT name FROM main.regions' },
  {
    difficulty: 'easy',
    question: 'What is the most expensive product list price?',
    gold: 'SELECT max(list_price) FROM main.products',
  },
  {
    difficulty: 'easy',
    question: 'What is the average product list price?',
    gold: 'SELECT avg(list_price) FROM main.products',
  },
  {
    difficulty: 'easy',
    question: 'How many invoices are overdue?',
    gold: "SELECT count(*) FROM main.invoices WHERE status = 'overdue'",
  },
  {
    difficulty: 'easy',
    question: 'What is the total amount of all payments?',
    gold: 'SELECT sum(amount) FROM main.payments',
  },
  {
    difficulty: 'easy',
    question: 'How many enterprise customers are there?',
    gold: "SELECT count(*) FROM main.customers WHERE segment = 'enterprise'",
  },
  { difficulty: 'easy', question: 'How many sales reps do we have?', gold: 'SELECT count(*) FROM main.sales_reps' },
  {
    difficulty: 'easy',
    question: 'List the expense accounts by code.',
    gold: "SELECT code, name FROM main.accounts WHERE type = 'expense'",
  },
  {
    difficulty: 'easy',
    question: 'How many orders came through the web channel?',
    gold: "SELECT count(*) FROM main.orders WHERE channel = 'web'",
  },
  { difficulty: 'easy', question: 'What is the total of all expenses?', gold: 'SELECT sum(amount) FROM main.expenses' },
  {
    difficulty: 'easy',
    question: 'How many payments were made by card?',
    gold: "SELECT count(*) FROM main.payments WHERE method = 'card'",
  },
  {
    difficulty: 'easy',
    question: 'How many products are in the software category?',
    gold: "SELECT count(*) FROM main.products WHERE category = 'software'",
  },
  { difficulty: 'easy', question: 'What is the earliest order date?', gold: 'SELECT min(ordered_on) FROM main.orders' },
  {
    difficulty: 'easy',
    question: 'How many journal entries are there?',
    gold: 'SELECT count(*) FROM main.journal_entries',
  },
  // medium: group by, one join, a date range
  {
    difficulty: 'medium',
    question: 'How many customers are there per country?',
    gold: 'SELECT country, count(*) FROM main.customers GROUP BY country',
  },
  {
    difficulty: 'medium',
    question: 'How many orders per status?',
    gold: 'SELECT status, count(*) FROM main.orders GROUP BY status',
  },
  {
    difficulty: 'medium',
    question: 'Total expenses per category.',
    gold: 'SELECT category, sum(amount) FROM main.expenses GROUP BY category',
  },
  {
    difficulty: 'medium',
    question: 'Total expenses per department.',
    gold: 'SELECT department, sum(amount) FROM main.expenses GROUP BY department',
  },
  {
    difficulty: 'medium',
    question: 'Number of products per category.',
    gold: 'SELECT category, count(*) FROM main.products GROUP BY category',
  },
  {
    difficulty: 'medium',
    question: 'How many orders were placed in 2024?',
    gold: "SELECT count(*) FROM main.orders WHERE ordered_on >= DATE '2024-01-01' AND ordered_on < DATE '2025-01-01'",
  },
  {
    difficulty: 'medium',
    question: 'Total invoiced amount per invoice status.',
    gold: 'SELECT status, sum(amount) FROM main.invoices GROUP BY status',
  },
  {
    difficulty: 'medium',
    question: 'Total payments per payment method.',
    gold: 'SELECT method, sum(amount) FROM main.payments GROUP BY method',
  },
  {
    difficulty: 'medium',
    question: 'How many orders per sales channel?',
    gold: 'SELECT channel, count(*) FROM main.orders GROUP BY channel',
  },
  {
    difficulty: 'medium',
    question: 'How many customers per segment?',
    gold: 'SELECT segment, count(*) FROM main.customers GROUP BY segment',
  },
  {
    difficulty: 'medium',
    question: 'How many sales reps are in each region? Show the region name.',
    gold: 'SELECT r.name, count(*) FROM main.sales_reps s JOIN main.regions r ON r.id = s.region_id GROUP BY r.name',
  },
  {
    difficulty: 'medium',
    question: 'Total debit and total credit in the journal.',
    gold: 'SELECT sum(debit), sum(credit) FROM main.journal_entries',
  },
  {
    difficulty: 'medium',
    question: 'Number of orders per month in 2025.',
    gold: "SELECT date_trunc('month', ordered_on) AS month, count(*) FROM main.orders WHERE ordered_on >= DATE '2025-01-01' AND ordered_on < DATE '2026-01-01' GROUP BY 1",
  },
  {
    difficulty: 'medium',
    question: 'Which 5 products have the highest list price? Show name and price.',
    gold: 'SELECT name, list_price FROM main.products ORDER BY list_price DESC LIMIT 5',
  },
  {
    difficulty: 'medium',
    question: 'Total quantity sold per product category.',
    gold: 'SELECT p.category, sum(li.quantity) FROM main.order_items li JOIN main.products p ON p.id = li.product_id GROUP BY p.category',
  },
  {
    difficulty: 'medium',
    question: 'How many orders has each customer segment placed?',
    gold: 'SELECT c.segment, count(*) FROM main.orders o JOIN main.customers c ON c.id = o.customer_id GROUP BY c.segment',
  },
  {
    difficulty: 'medium',
    question: 'What is the average invoice amount?',
    gold: 'SELECT avg(amount) FROM main.invoices',
  },
  {
    difficulty: 'medium',
    question: 'Total of journal debits per account name.',
    gold: 'SELECT a.name, sum(j.debit) FROM main.journal_entries j JOIN main.accounts a ON a.id = j.account_id GROUP BY a.name',
  },
  {
    difficulty: 'medium',
    question: 'How many customers signed up in 2023?',
    gold: "SELECT count(*) FROM main.customers WHERE signed_up_on >= DATE '2023-01-01' AND signed_up_on < DATE '2024-01-01'",
  },
  // hard: several joins, revenue definitions, ranking, ratios
  {
    difficulty: 'hard',
    question: 'Revenue (quantity times unit price) of completed orders per country of the customer.',
    gold: "SELECT c.country, sum(li.quantity * li.unit_price) FROM main.orders o JOIN main.customers c ON c.id = o.customer_id JOIN main.order_items li ON li.order_id = o.id WHERE o.status = 'completed' GROUP BY c.country",
  },
  {
    difficulty: 'hard',
    question: 'Top 3 customers by total invoiced amount, with their name.',
    gold: 'SELECT c.name, sum(i.amount) AS total FROM main.invoices i JOIN main.customers c ON c.id = i.customer_id GROUP BY c.name ORDER BY total DESC LIMIT 3',
  },
  {
    difficulty: 'hard',
    question: 'Revenue of completed orders per sales region name.',
    gold: "SELECT r.name, sum(li.quantity * li.unit_price) FROM main.orders o JOIN main.sales_reps s ON s.id = o.sales_rep_id JOIN main.regions r ON r.id = s.region_id JOIN main.order_items li ON li.order_id = o.id WHERE o.status = 'completed' GROUP BY r.name",
  },
  {
    difficulty: 'hard',
    question: 'Total amount of overdue invoices per customer country.',
    gold: "SELECT c.country, sum(i.amount) FROM main.invoices i JOIN main.customers c ON c.id = i.customer_id WHERE i.status = 'overdue' GROUP BY c.country",
  },
  {
    difficulty: 'hard',
    question: 'Which sales rep has the most completed orders? Show the name and the count.',
    gold: "SELECT s.name, count(*) AS n FROM main.orders o JOIN main.sales_reps s ON s.id = o.sales_rep_id WHERE o.status = 'completed' GROUP BY s.name ORDER BY n DESC LIMIT 1",
  },
  {
    difficulty: 'hard',
    question: 'Monthly revenue of completed orders in 2024.',
    gold: "SELECT date_trunc('month', o.ordered_on) AS month, sum(li.quantity * li.unit_price) FROM main.orders o JOIN main.order_items li ON li.order_id = o.id WHERE o.status = 'completed' AND o.ordered_on >= DATE '2024-01-01' AND o.ordered_on < DATE '2025-01-01' GROUP BY 1",
  },
  {
    difficulty: 'hard',
    question: 'Balance (debits minus credits) per account type.',
    gold: 'SELECT a.type, sum(j.debit) - sum(j.credit) FROM main.journal_entries j JOIN main.accounts a ON a.id = j.account_id GROUP BY a.type',
  },
  {
    difficulty: 'hard',
    question: 'How many customers have never placed an order?',
    gold: 'SELECT count(*) FROM main.customers c WHERE NOT EXISTS (SELECT 1 FROM main.orders o WHERE o.customer_id = c.id)',
  },
  {
    difficulty: 'hard',
    question: 'Average number of days between invoice issue and payment.',
    gold: 'SELECT avg(p.paid_on - i.issued_on) FROM main.payments p JOIN main.invoices i ON i.id = p.invoice_id',
  },
  {
    difficulty: 'hard',
    question: 'Revenue per product category for completed orders, highest first.',
    gold: "SELECT p.category, sum(li.quantity * li.unit_price) AS revenue FROM main.order_items li JOIN main.products p ON p.id = li.product_id JOIN main.orders o ON o.id = li.order_id WHERE o.status = 'completed' GROUP BY p.category ORDER BY revenue DESC",
  },
  {
    difficulty: 'hard',
    question: 'Share of cancelled orders per channel (cancelled divided by all orders).',
    gold: "SELECT channel, avg(CASE WHEN status = 'cancelled' THEN 1.0 ELSE 0 END) FROM main.orders GROUP BY channel",
  },
  {
    difficulty: 'hard',
    question: 'The 5 best-selling products by quantity, with product name.',
    gold: 'SELECT p.name, sum(li.quantity) AS qty FROM main.order_items li JOIN main.products p ON p.id = li.product_id GROUP BY p.name ORDER BY qty DESC LIMIT 5',
  },
  {
    difficulty: 'hard',
    question: 'Total paid amount per customer segment.',
    gold: 'SELECT c.segment, sum(p.amount) FROM main.payments p JOIN main.invoices i ON i.id = p.invoice_id JOIN main.customers c ON c.id = i.customer_id GROUP BY c.segment',
  },
  {
    difficulty: 'hard',
    question: 'Number of distinct customers who ordered per region continent.',
    gold: 'SELECT r.continent, count(DISTINCT o.customer_id) FROM main.orders o JOIN main.sales_reps s ON s.id = o.sales_rep_id JOIN main.regions r ON r.id = s.region_id GROUP BY r.continent',
  },
  {
    difficulty: 'hard',
    question: 'Expenses of the sales department per month in 2025.',
    gold: "SELECT date_trunc('month', spent_on) AS month, sum(amount) FROM main.expenses WHERE department = 'sales' AND spent_on >= DATE '2025-01-01' AND spent_on < DATE '2026-01-01' GROUP BY 1",
  },
  {
    difficulty: 'hard',
    question: 'Total revenue account credits in 2024 (accounts of type revenue).',
    gold: "SELECT sum(j.credit) FROM main.journal_entries j JOIN main.accounts a ON a.id = j.account_id WHERE a.type = 'revenue' AND j.entry_date >= DATE '2024-01-01' AND j.entry_date < DATE '2025-01-01'",
  },
  {
    difficulty: 'hard',
    question: 'Customers in Japan with more than 5 orders: name and order count.',
    gold: "SELECT c.name, count(*) AS n FROM main.orders o JOIN main.customers c ON c.id = o.customer_id WHERE c.country = 'Japan' GROUP BY c.name HAVING count(*) > 5",
  },
]
