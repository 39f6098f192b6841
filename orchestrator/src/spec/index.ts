/** Version of the pipeline spec format; the spec itself (schema, validation, compilers) comes with the pipelines issue. */
export const PIPELINE_API_VERSION = 'workbench/v1'
