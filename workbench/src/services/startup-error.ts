/** A reason the workbench cannot start, worded as one actionable line for the operator. */
export class StartupError extends Error {
  override name = 'StartupError'
}
