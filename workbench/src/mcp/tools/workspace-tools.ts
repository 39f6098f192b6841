import { z } from 'zod'
import { defineTool } from '../tool.ts'

export const workspaceTools = [
  defineTool({
    name: 'list_workspaces',
    title: 'List workspaces',
    description:
      'The workspaces the caller is a member of, with their role in each. Every other tool takes a workspaceId.',
    writes: false,
    input: z.object({}),
    run: (_args, { rest, signal }) => rest.get('/workspaces', { signal }),
  }),
]
