import { ApplicationFailure } from '@temporalio/client'
import type { StepHandler } from '@workbench/orchestrator/activities'
import { defineStepType } from '@workbench/orchestrator/spec'
import { z } from 'zod'
import { AppError } from '../http/errors.ts'
import type { CatalogService } from './catalog-service.ts'

/**
 * `catalog.refresh`: discovers catalog sources (all of the workspace's, or the named ones) so the catalog is
 * up to date on a pipeline's schedule, typically after the steps that load data.
 */
export const catalogRefreshStep = defineStepType({
  type: 'catalog.refresh',
  description: "Discovers the workspace's catalog sources (all, or the named ones) and waits for each run.",
  with: z.strictObject({
    sources: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe("Catalog source names (as the catalog shows them, e.g. 'Workspace DuckDB'); all when omitted."),
    fail_on_object_errors: z
      .boolean()
      .optional()
      .describe('Fail the step when some tables could not be catalogued (default: report them and succeed).'),
  }),
  references: (withBlock) =>
    Array.isArray(withBlock.sources)
      ? withBlock.sources
          .map((name, i) => ({ name, i }))
          .filter((s): s is { name: string; i: number } => typeof s.name === 'string')
          .map(({ name, i }) => ({ kind: 'catalog_source' as const, name, path: ['sources', i] }))
      : [],
})

/**
 * The worker side of `catalog.refresh`. A source that cannot be read fails the step (after the others ran,
 * retried by the step's retry policy); tables that could not be catalogued are reported in the output.
 */
export function catalogRefreshHandler(catalog: () => CatalogService | undefined): StepHandler {
  return async (withBlock, context, input) => {
    const service = catalog()
    if (!service) throw new Error('the catalog is not available yet')
    if (!input.workspaceId)
      throw ApplicationFailure.nonRetryable('catalog.refresh needs the run of a workspace pipeline', 'NoWorkspace')
    const names = withBlock.sources as string[] | undefined
    const heartbeat = setInterval(() => context.heartbeat(), 1000)
    try {
      const refreshed = await service.refresh(input.workspaceId, names, (name, runId) =>
        context.log(`discovering ${name} (run ${runId})`),
      )
      const sources = refreshed.map((r) => {
        if (r.error !== undefined) {
          context.log(`${r.source}: ${r.error}`, 'error')
          return { source: r.source, status: 'failed', error: r.error }
        }
        const { runId, status, seen, added, changed, failed, gone, error, errors } = r.result
        context.log(
          `${r.source}: ${seen} objects (${added} new, ${changed} changed, ${gone} gone, ${failed} failed)`,
          failed > 0 || status === 'failed' ? 'warn' : 'info',
        )
        for (const e of errors.slice(0, 20)) context.log(`${r.source}: ${e.object}: ${e.error}`, 'warn')
        return { source: r.source, runId, status, seen, added, changed, gone, failed, ...(error ? { error } : {}) }
      })
      const broken = sources.filter((s) => s.status === 'failed')
      if (broken.length > 0)
        throw new Error(`could not discover ${broken.map((s) => `${s.source} (${s.error ?? 'failed'})`).join(', ')}`)
      const objectErrors = sources.reduce((n, s) => n + ('failed' in s ? s.failed : 0), 0)
      if (objectErrors > 0 && withBlock.fail_on_object_errors === true)
        throw ApplicationFailure.nonRetryable(
          `${objectErrors} table(s) could not be catalogued`,
          'CatalogObjectErrors',
          {
            sources,
          },
        )
      return { sources }
    } catch (err) {
      if (err instanceof AppError && err.status === 404) throw ApplicationFailure.nonRetryable(err.message, err.code)
      throw err
    } finally {
      clearInterval(heartbeat)
    }
  }
}
