import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './config.ts'

describe('loadConfig', () => {
  it('defaults to embedded mode: PGlite, spawned Jupyter and Temporal, in ./.workbench', () => {
    const config = loadConfig({}, '/srv/wb')
    expect(config.port).toBe(8080)
    expect(config.host).toBe('127.0.0.1')
    expect(config.dataDir).toBe('/srv/wb/.workbench')
    expect(config.database).toEqual({ kind: 'pglite', dataDir: '/srv/wb/.workbench/metadata' })
    expect(config.jupyter.kind).toBe('embedded')
    expect(config.temporal.server).toEqual({
      kind: 'embedded',
      cli: '/srv/wb/.tools/bin/temporal',
      dbFile: '/srv/wb/.workbench/temporal.db',
    })
    expect(config.temporal.inProcessWorker).toBe(true)
  })

  it('switches each service to an external one by its variable', () => {
    const config = loadConfig(
      {
        DATABASE_URL: 'postgres://wb@db:5432/wb',
        JUPYTER_URL: 'http://jupyter:8888',
        JUPYTER_TOKEN: 't0ken',
        TEMPORAL_ADDRESS: 'temporal:7233',
        TEMPORAL_IN_PROCESS_WORKER: 'false',
      },
      '/srv/wb',
    )
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://wb@db:5432/wb' })
    expect(config.jupyter).toEqual({ kind: 'external', url: 'http://jupyter:8888', token: 't0ken' })
    expect(config.temporal.server).toEqual({ kind: 'external', address: 'temporal:7233' })
    expect(config.temporal.inProcessWorker).toBe(false)
  })

  it('treats empty variables as unset, as .env files write them', () => {
    const config = loadConfig({ DATABASE_URL: '', TEMPORAL_ADDRESS: '' }, '/srv/wb')
    expect(config.database.kind).toBe('pglite')
    expect(config.temporal.server.kind).toBe('embedded')
  })

  it('lists every bad variable at once', () => {
    const error = (() => {
      try {
        loadConfig(
          { PORT: '99999', LOG_LEVEL: 'chatty', DATABASE_URL: 'not a url', TEMPORAL_ADDRESS: 'nohostport' },
          '/',
        )
      } catch (err) {
        return err
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    const problems = (error as ConfigError).problems.map((p) => p.split(':')[0])
    expect(problems.sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT', 'TEMPORAL_ADDRESS'])
  })

  it('requires JUPYTER_TOKEN with JUPYTER_URL', () => {
    expect(() => loadConfig({ JUPYTER_URL: 'http://jupyter:8888' }, '/')).toThrow(
      'JUPYTER_TOKEN: required when JUPYTER_URL is set',
    )
  })
})
