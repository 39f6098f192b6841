import type { SqlKernel } from '@workbench/kernels'
import type { ConnectionService } from './connection-service.ts'

/**
 * Contract C: how a SQL cell whose `metadata.workbench.connection` names a saved connection gets its
 * kernel. PostgreSQL and MySQL kernels run read-only unless an admin marked the connection writable.
 * The runtime hands `openKernel` to the session manager as its connection-kernel dependency.
 */
export class ConnectionKernels {
  constructor(private readonly connections: () => ConnectionService | undefined) {}

  /** Throws `NotFoundError('connection')` for an unknown id, a `ConnectionProblem` if the source is unreachable. */
  openKernel = async (workspaceId: string, connectionId: string): Promise<SqlKernel> => {
    const service = this.connections()
    if (!service) throw new Error('connections are not available yet (the metadata database is starting)')
    return service.openKernel(workspaceId, connectionId)
  }
}
