/** The CLI's exit codes (docs/contract.md §4); scripts branch on them, so they never change meaning. */
export const ExitCodes = {
  Ok: 0,
  /** The restore (or any fleet member) failed. */
  RestoreFailed: 1,
  /** Bad usage or invalid input: fix the command line. */
  Usage: 2,
  /** Configuration or AWS access: fix the environment (credentials, Region, ARNs). */
  Config: 3,
  /** Ctrl-C while watching: the shell convention (128 + SIGINT); the restore goes on. */
  Interrupted: 130,
} as const;
