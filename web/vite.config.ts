import tailwindcss from '@tailwindcss/vite'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [tailwindcss()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 8000,
    rollupOptions: {
      // Radix and lucide mark their modules "use client" (for React Server Components): meaningless in a SPA bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning)
      },
    },
  },
  // y-monaco imports `monaco-editor/esm/vs/...`, a path the package's export map spells `monaco-editor/...`.
  resolve: { alias: [{ find: /^monaco-editor\/esm\/vs\//, replacement: 'monaco-editor/' }] },
  worker: { format: 'es' },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:8080', ws: true } } },
})
