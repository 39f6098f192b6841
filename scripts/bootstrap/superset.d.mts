// Types of superset.mjs for the TypeScript tests that start Superset.
export declare const SUPERSET_HOME: string
export declare const SUPERSET_SOURCES: string
export declare const SUPERSET_TEMPLATE_DB: string
export declare const SUPERSET_ADMIN: { username: string; password: string }
export declare function supersetEnv(metadataDb: string, extra?: Record<string, string>): NodeJS.ProcessEnv
export declare function supersetInstalled(): boolean
export declare function supersetStep(log?: (message: string) => void): Promise<string>
