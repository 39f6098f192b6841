/** Jupyter-style shortcuts, listed in the help panel (H or ? in command mode). */
export const SHORTCUTS: [string, string][] = [
  ['Enter', 'Edit the selected cell'],
  ['Esc', 'Leave the editor (command mode)'],
  ['Shift+Enter', 'Run the cell and select the next one'],
  ['Ctrl+Enter', 'Run the cell'],
  ['Alt+Enter', 'Run the cell and insert one below'],
  ['↑ / K, ↓ / J', 'Select the previous / next cell'],
  ['A / B', 'Insert a cell above / below'],
  ['D D', 'Delete the cell'],
  ['Z', 'Undo the last cell deletion'],
  ['I I', 'Interrupt the kernel'],
  ['0 0', 'Restart the kernel (asks first)'],
  ['M / Y / Q', 'Make it Markdown / Python / SQL'],
  ['Alt+↑ / Alt+↓', 'Move the cell up / down'],
  ['Ctrl+Shift+-', 'Split the cell at the cursor (editing)'],
  ['Shift+M', 'Merge with the cell below'],
  ['Shift+F', 'Format SQL (editing: Shift+Alt+F)'],
  ['Tab', 'Complete (Python: from the kernel); accept a suggestion'],
  ['Enter in a suggestion list', 'A new line, unless you picked an entry with ↑/↓'],
  ['Shift+Tab', 'Python: show the documentation of the name at the cursor (editing)'],
  ['H or ?', 'Show or hide this help'],
]

export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  return (
    <aside className="side-panel" aria-labelledby="shortcuts-heading" data-testid="shortcut-help">
      <h3 id="shortcuts-heading">Keyboard shortcuts</h3>
      <dl className="shortcuts">
        {SHORTCUTS.map(([key, what]) => (
          <div key={key}>
            <dt>
              <kbd>{key}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <button type="button" onClick={onClose}>
        Close
      </button>
    </aside>
  )
}
