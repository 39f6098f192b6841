import { ErrorCode, type GetPromptResult, McpError, type Prompt } from '@modelcontextprotocol/sdk/types.js'

/** Common analyses, as prompts a client offers its user; each names the tools to use. */
export const PROMPTS: Prompt[] = [
  {
    name: 'explore_table',
    title: 'Explore a table',
    description: 'Describe a catalogued table, its quality and how it is used',
    arguments: [
      { name: 'workspaceId', required: true },
      { name: 'table', description: 'A table name or words to find it', required: true },
    ],
  },
  {
    name: 'investigate_run',
    title: 'Investigate a failed run',
    description: 'Find why a pipeline run failed and what to change',
    arguments: [
      { name: 'workspaceId', required: true },
      { name: 'runId', required: true },
    ],
  },
]

export function getPrompt(name: string, args: Record<string, string>): GetPromptResult {
  const need = (key: string) => {
    const value = args[key]
    if (!value) throw new McpError(ErrorCode.InvalidParams, `Prompt ${name} needs the argument ${key}`)
    return value
  }
  if (name === 'explore_table') {
    const workspaceId = need('workspaceId')
    const table = need('table')
    return {
      description: `Explore ${table}`,
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text:
              `In workspace ${workspaceId}, find the table "${table}" with search_catalog, then call describe_table ` +
              'for its columns, tags, lineage and profile, and preview_table for a sample. Summarise what the table ' +
              'holds, its grain, columns with many NULLs or personal data, and which tables feed it and use it.',
          },
        },
      ],
    }
  }
  if (name === 'investigate_run') {
    const workspaceId = need('workspaceId')
    const runId = need('runId')
    return {
      description: `Investigate run ${runId}`,
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text:
              `In workspace ${workspaceId}, read run ${runId} with get_run and its logs with get_run_logs. Find the ` +
              'failed step, quote its error, read the pipeline with get_pipeline, and propose the smallest change ' +
              'that fixes it (check any YAML you propose with validate_pipeline_yaml).',
          },
        },
      ],
    }
  }
  throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${name}`)
}
