import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'
import { NetworkGuard, type Resolver } from './network-guard.ts'
import { readAllowedNetworks } from './network-settings.ts'
import { type GuardedFetchOptions, guardedFetch } from './outbound-http.ts'

/**
 * The instance's outbound network policy: the {@link NetworkGuard} with the admins' allow-list as it
 * is now. Database connections, pipeline `http` steps, alert webhooks and every connector take their
 * guard (or their `fetch`) from here, so there is one policy and one allow-list.
 *
 * @example
 * const policy = new OutboundPolicy(() => db)
 * const res = await policy.fetch()('https://api.example.com/')
 */
export class OutboundPolicy {
  constructor(
    private readonly db: () => Kysely<Database>,
    private readonly resolver?: Resolver,
  ) {}

  async guard(): Promise<NetworkGuard> {
    return new NetworkGuard({ allowed: await readAllowedNetworks(this.db()), resolver: this.resolver })
  }

  /** The guarded HTTP client (see {@link guardedFetch}). */
  fetch(options: Omit<GuardedFetchOptions, 'guard'> = {}): typeof fetch {
    return guardedFetch({ ...options, guard: () => this.guard() })
  }

  /** Save-time check of a URL as written (see {@link destinationProblem}) under the current allow-list. */
  async urlProblem(text: string): Promise<string | undefined> {
    return destinationProblem(await this.guard(), text)
  }
}

/**
 * A save-time check of a URL as written: a message when it is not http(s) or its host is an IP literal
 * (any spelling) the guard refuses; undefined otherwise. Names (and templated URLs) are checked when
 * the request is made, since DNS may answer differently then.
 */
export function destinationProblem(guard: NetworkGuard, text: string): string | undefined {
  if (text.includes('{{')) return undefined
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'must be an absolute http(s) URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL'
  if (guard.literalRefused(url.hostname))
    return "targets an address this instance's network policy does not allow (destination_not_allowed)"
  return undefined
}
