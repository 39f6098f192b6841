import type { Context } from 'hono'
import type { AppEnv } from '../http/env.ts'

export type KernelAction = 'view' | 'execute'

/**
 * THE place where identity plugs into execution: every kernel route (REST and websocket) calls this with
 * the workspace the session belongs to before doing anything. It must throw an `AppError` (403 `forbidden`,
 * or 401) to refuse; e.g. a workspace viewer may `view` sessions but not `execute`, interrupt or restart.
 */
export type KernelPermissionCheck = (c: Context<AppEnv>, workspaceId: string, action: KernelAction) => Promise<void>

/**
 * Until identity (issue 3) lands there are no users: everything is allowed. Replace by passing
 * `kernelPermissions` in `AppDeps`.
 */
export const allowAllKernelActions: KernelPermissionCheck = async () => {}
