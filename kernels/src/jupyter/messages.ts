import type { KernelMessage } from '@jupyterlab/services'
import { errorOutput, type MimeBundle, type Output } from '../kernel.ts'

/** What the user sees when a cell calls `input()`: we never answer stdin requests, so say so plainly. */
export const STDIN_NOT_SUPPORTED = 'stdin is not supported: input() and getpass() cannot be answered in a notebook cell'

/**
 * Turns an IOPub message into a Jupyter output (nbformat), or undefined for messages that are not outputs
 * (status, execute_input, comm traffic). `executionCount` replaces the kernel's own count: the notebook
 * session counts executions across its SQL and Python cells.
 */
export function outputFromIopub(msg: KernelMessage.IIOPubMessage, executionCount: number | null): Output | undefined {
  switch (msg.header.msg_type) {
    case 'stream': {
      const content = (msg as KernelMessage.IStreamMsg).content
      return { output_type: 'stream', name: content.name, text: content.text }
    }
    case 'display_data': {
      const content = (msg as KernelMessage.IDisplayDataMsg).content
      return {
        output_type: 'display_data',
        data: content.data as MimeBundle,
        metadata: content.metadata as Record<string, unknown>,
      }
    }
    case 'execute_result': {
      const content = (msg as KernelMessage.IExecuteResultMsg).content
      return {
        output_type: 'execute_result',
        execution_count: executionCount,
        data: content.data as MimeBundle,
        metadata: content.metadata as Record<string, unknown>,
      }
    }
    case 'error': {
      const content = (msg as KernelMessage.IErrorMsg).content
      if (content.ename === 'StdinNotImplementedError')
        return errorOutput(content.ename, STDIN_NOT_SUPPORTED, [
          ...content.traceback,
          `${content.ename}: ${STDIN_NOT_SUPPORTED}`,
        ])
      return errorOutput(content.ename, content.evalue, content.traceback)
    }
    default:
      return undefined
  }
}
