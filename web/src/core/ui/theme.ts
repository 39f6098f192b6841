/** Light or dark, chosen by the user and remembered in this browser; 'system' follows the OS. */
export type Theme = 'light' | 'dark' | 'system'

const KEY = 'workbench.theme'

export function storedTheme(): Theme {
  const value = localStorage.getItem(KEY)
  return value === 'light' || value === 'dark' ? value : 'system'
}

/** The theme actually shown, resolving 'system' through the OS preference. */
export function effectiveTheme(theme: Theme): 'light' | 'dark' {
  if (theme !== 'system') return theme
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
}

/** Applies `theme` to the document (CSS reads `data-theme`) and persists it. */
export function applyTheme(theme: Theme): void {
  if (theme === 'system') localStorage.removeItem(KEY)
  else localStorage.setItem(KEY, theme)
  document.documentElement.dataset.theme = effectiveTheme(theme)
  for (const listener of listeners) listener(theme)
}

const listeners = new Set<(theme: Theme) => void>()

/** Called whenever the theme changes (Monaco and Vega follow it). */
export function onThemeChange(listener: (theme: Theme) => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** Follows the OS switching between light and dark while the user's choice is 'system'. */
export function followSystemTheme(): () => void {
  const media = window.matchMedia?.('(prefers-color-scheme: dark)')
  if (!media) return () => {}
  const onChange = () => {
    if (storedTheme() === 'system') applyTheme('system')
  }
  media.addEventListener('change', onChange)
  return () => media.removeEventListener('change', onChange)
}
