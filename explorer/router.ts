/** The current hash route, updated on every `hashchange`. */
import { useEffect, useState } from 'preact/hooks';
import { parseHash, type Route } from './routes.js';

export { href, parseHash, type Route } from './routes.js';

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const changed = () => {
      setRoute(parseHash(location.hash));
    };
    addEventListener('hashchange', changed);
    return () => {
      removeEventListener('hashchange', changed);
    };
  }, []);
  return route;
}
