import { QueryClientProvider } from '@tanstack/react-query'
import { Tooltip } from 'radix-ui'
import { useState } from 'react'
import { RouterProvider } from 'react-router'
import { queryClient } from './core/query/query-client.ts'
import { createRouter } from './router.tsx'

export function App() {
  const [router] = useState(createRouter)
  return (
    <QueryClientProvider client={queryClient}>
      <Tooltip.Provider delayDuration={300}>
        <RouterProvider router={router} />
      </Tooltip.Provider>
    </QueryClientProvider>
  )
}
