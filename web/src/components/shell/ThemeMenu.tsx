import { Monitor, Moon, Sun } from 'lucide-react'
import { useEffect, useState } from 'react'
import { applyTheme, effectiveTheme, onThemeChange, storedTheme, type Theme } from '../../core/ui/theme.ts'
import { Menu, MenuLabel, MenuRadio } from '../ui/Menu.tsx'

/** Light, dark or the system's choice; remembered in this browser. */
export function ThemeMenu() {
  const [theme, setTheme] = useState<Theme>(storedTheme)
  useEffect(() => onThemeChange(setTheme), [])
  const Icon = theme === 'system' ? Monitor : effectiveTheme(theme) === 'dark' ? Moon : Sun
  return (
    <Menu
      align="end"
      trigger={
        <button type="button" className="ghost icon-button" aria-label="Theme">
          <Icon size={16} aria-hidden="true" />
        </button>
      }
    >
      <MenuLabel>Theme</MenuLabel>
      <MenuRadio<Theme>
        value={theme}
        onChange={applyTheme}
        options={[
          { value: 'light', label: 'Light', icon: <Sun size={14} aria-hidden="true" /> },
          { value: 'dark', label: 'Dark', icon: <Moon size={14} aria-hidden="true" /> },
          { value: 'system', label: 'System', icon: <Monitor size={14} aria-hidden="true" /> },
        ]}
      />
    </Menu>
  )
}
