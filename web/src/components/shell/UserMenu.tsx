import { useEffect, useState } from 'react'
import type { User } from '../../core/auth/types.ts'
import { hrefFor } from '../../core/routing/hash-route.ts'
import { applyTheme, storedTheme, type Theme } from '../../core/ui/theme.ts'

/** The signed-in account: who, settings links, theme, sign out (kept visible: one click for each). */
export function UserMenu({ user, onSignOut }: { user: User; onSignOut: () => void }) {
  return (
    <div className="user-menu inline">
      <a href={hrefFor({ page: 'tokens' })}>API tokens</a>
      {user.isInstanceAdmin && <a href={hrefFor({ page: 'admin' })}>Administration</a>}
      <ThemePicker />
      <span data-testid="signed-in-as" title={user.name}>
        {user.email}
      </span>
      <button type="button" className="link" onClick={onSignOut}>
        Sign out
      </button>
    </div>
  )
}

/** Light, dark or the system's choice; remembered in this browser. */
export function ThemePicker() {
  const [theme, setTheme] = useState<Theme>(storedTheme)
  useEffect(() => applyTheme(theme), [theme])
  return (
    <select aria-label="Theme" value={theme} onChange={(e) => setTheme(e.target.value as Theme)}>
      <option value="system">System theme</option>
      <option value="light">Light</option>
      <option value="dark">Dark</option>
    </select>
  )
}
