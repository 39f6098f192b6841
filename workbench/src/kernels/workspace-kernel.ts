import { mkdirSync } from 'node:fs'

/**
 * What a Python kernel start request carries to bind the kernel to its workspace: the workspace folder as
 * a path under Jupyter's root (`<DATA_DIR>/workspaces`, so `<id>/data`), from which the sandbox provisioner
 * derives the workspace, and `KERNEL_WORKSPACE_ID` for Enterprise Gateway style launchers. The folder must
 * exist: Jupyter falls back to its root for a missing one, which the provisioner refuses.
 *
 * @example
 * JupyterKernel.start({ ...endpoint, ...workspaceKernel(workspaceId, databases.dataDirOf(workspaceId)) })
 */
export function workspaceKernel(
  workspaceId: string,
  workspaceFolder: string,
): { path: string; env: Record<string, string> } {
  mkdirSync(workspaceFolder, { recursive: true })
  return { path: `${workspaceId}/data`, env: { KERNEL_WORKSPACE_ID: workspaceId } }
}
