/**
 * The MATRIZ Registry explorer (docs/explorer.md): served by `matriz serve` at `/`, built by
 * scripts/build-explorer.js. It reads only this origin's API, and verifies what it shows with
 * the pure verifier (src/verify) the CLI uses.
 */
import { render } from 'preact';
import { GraphPage } from './pages/graph.js';
import { LogPage } from './pages/log.js';
import { NodePage } from './pages/node.js';
import { SearchPage } from './pages/search.js';
import { ValidatePage } from './pages/validate.js';
import { useRoute, type Route } from './router.js';
import { TrustBanner, TrustProvider } from './trust-context.js';

const VIEWS = [
  { view: 'search', label: 'Search' },
  { view: 'graph', label: 'Signal graph' },
  { view: 'log', label: 'Log' },
  { view: 'validate', label: 'Validate' },
] as const;

const TITLES: Readonly<Record<string, string>> = {
  search: 'Search',
  node: 'Node',
  graph: 'Signal graph',
  log: 'Log',
  validate: 'Validate',
};

function Page({ route }: { readonly route: Route }) {
  const [view = 'search', id] = route.segments;
  // Keyed by id: another node's page starts with fresh state (never the last node's badge).
  if (view === 'node' && id !== undefined) return <NodePage key={id} id={id} />;
  if (view === 'graph') return <GraphPage route={route} />;
  if (view === 'log') return <LogPage />;
  if (view === 'validate') return <ValidatePage />;
  if (view === 'search') return <SearchPage route={route} />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page <code>{location.hash}</code>. <a href="#/search">Search nodes</a>.
      </p>
    </section>
  );
}

function App() {
  const route = useRoute();
  const current = route.segments[0] ?? 'search';
  document.title = `${TITLES[current] ?? 'Not found'} · MATRIZ Registry`;
  return (
    <TrustProvider>
      <header class="top">
        <a class="brand" href="#/search">
          MATRIZ Registry
        </a>
        <nav aria-label="Main">
          <ul>
            {VIEWS.map(({ view, label }) => (
              <li key={view}>
                <a href={`#/${view}`} {...(view === current ? { 'aria-current': 'page' } : {})}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <TrustBanner />
      <main id="main">
        <Page route={route} />
      </main>
      <footer>
        Every check on these pages runs in this browser: Merkle proofs (RFC 9162) and Ed25519 +
        ML-DSA-44 signatures, with the verifier the <code>matriz</code> CLI uses.
      </footer>
    </TrustProvider>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
