/** How the long-running commands (`serve`, `witness serve`) wait to be told to stop. */

/** Resolves at the first SIGINT or SIGTERM, then stops listening for them. */
export function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
