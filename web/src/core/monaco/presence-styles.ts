import type { Awareness } from 'y-protocols/awareness'
import type { Presence } from '../notebook/collab.ts'

/** CSS string literal for untrusted text (a collaborator's name) inside a `content:` rule. */
function cssString(text: string): string {
  return `"${text.slice(0, 40).replace(/[^\p{L}\p{N} ._@-]/gu, (ch) => `\\${ch.codePointAt(0)?.toString(16)} `)}"`
}

/**
 * Keeps a <style> element with each collaborator's colour and name for y-monaco's remote selection
 * decorations (`yRemoteSelection-<clientId>`, `yRemoteSelectionHead-<clientId>`).
 */
export function trackPresenceStyles(awareness: Awareness): () => void {
  const style = document.createElement('style')
  style.dataset.presence = 'true'
  document.head.append(style)
  const render = () => {
    const rules: string[] = []
    awareness.getStates().forEach((state, clientId) => {
      const user = (state as { user?: Presence }).user
      if (!user || clientId === awareness.clientID) return
      const color = /^#[0-9a-f]{6}$/i.test(user.color) ? user.color : '#888888'
      rules.push(
        `.yRemoteSelection-${clientId}{background-color:${color}33}`,
        `.yRemoteSelectionHead-${clientId}{border-left:2px solid ${color};position:absolute;height:100%;box-sizing:border-box}`,
        `.yRemoteSelectionHead-${clientId}::after{content:${cssString(user.name)};position:absolute;top:-1.3em;left:-2px;background:${color};color:#fff;font-size:11px;padding:0 4px;border-radius:3px;white-space:nowrap;pointer-events:none;z-index:10}`,
      )
    })
    style.textContent = rules.join('\n')
  }
  awareness.on('change', render)
  render()
  return () => {
    awareness.off('change', render)
    style.remove()
  }
}
