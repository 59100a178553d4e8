import { useEffect, useState } from 'preact/hooks';

export type Loaded<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'done'; readonly value: T }
  | { readonly state: 'error'; readonly error: Error };

/** Runs `load` whenever `key` changes; a stale answer (an older key) is dropped. */
export function useAsync<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    let live = true;
    setLoaded({ state: 'loading' });
    load().then(
      (value) => {
        if (live) setLoaded({ state: 'done', value });
      },
      (error: unknown) => {
        if (live)
          setLoaded({
            state: 'error',
            error: error instanceof Error ? error : new Error(String(error)),
          });
      },
    );
    return () => {
      live = false;
    };
    // The key names the load: a new function object with the same key is the same load.
  }, [key]);
  return loaded;
}
