import axe from 'axe-core'
import type { Page } from 'playwright-core'
import { expect } from 'vitest'

/** Picks a theme in the top bar's theme menu. */
export async function pickTheme(page: Page, theme: 'Light' | 'Dark' | 'System'): Promise<void> {
  await page.getByRole('button', { name: 'Theme', exact: true }).click()
  await page.getByRole('menuitemradio', { name: theme }).click()
}

/** No serious or critical axe-core violations on what `page` shows now. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  await page.evaluate(axe.source)
  // A string, because this file is compiled without the DOM library; it runs in the page.
  const result = (await page.evaluate("window.axe.run(document, { resultTypes: ['violations'] })")) as axe.AxeResults
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id}: ${v.help} (${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')})`,
    )
  expect(bad, `axe on ${name}`).toEqual([])
}
