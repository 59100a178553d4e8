/**
 * The signal graph: nodes and signals as vertices, emitters -> signal -> subscribers as edges,
 * laid out by d3-force on a canvas. The layout runs a few ticks per animation frame within a
 * time budget, so the page stays responsive at 10,000 nodes; the first frame is drawn before
 * any tick. Filters (lane, signal) are the query API's, so only matching nodes are loaded.
 * The canvas has a keyboard- and screen-reader-usable equivalent: the signal table below it.
 */
import { forceLink, forceManyBody, forceSimulation, forceX, forceY } from 'd3-force';
import { useEffect, useRef, useState } from 'preact/hooks';
import { LANES } from '../../src/nodespec/nodespec.js';
import { getJson, queryString, type Page } from '../api.js';
import {
  buildSignalGraph,
  type GraphEdge,
  type GraphEntry,
  type GraphVertex,
  type SignalGraph,
} from '../graph-model.js';
import { href, type Route } from '../router.js';
import { useAsync } from '../use-async.js';
import { ErrorLine, field } from './common.js';

/** Nodes loaded at most (pages of 500); a larger registry is shown filtered. */
export const GRAPH_MAX_NODES = 20_000;
/** Milliseconds of layout per animation frame. */
const FRAME_BUDGET_MS = 12;
/**
 * Edges drawn while the layout moves, at most: stroking tens of thousands of segments takes
 * most of a frame, so a larger graph's edges appear once the layout has settled.
 */
const MOVING_EDGES = 5000;
/** Layout ticks: d3's default 300, fewer for large graphs (each tick is O(n log n)). */
const ticksFor = (vertices: number) => (vertices > 2000 ? 120 : 300);
const LANE_COLOURS: Readonly<Record<string, string>> = {
  candidate: '#8a5a00',
  core: '#0b5cad',
  lukhas: '#7a2e9e',
  products: '#1d7a3a',
};
const SIGNAL_COLOUR = '#c0392b';

async function loadEntries(filters: Record<string, string>): Promise<{
  entries: GraphEntry[];
  truncated: boolean;
}> {
  const entries: GraphEntry[] = [];
  let cursor = '';
  for (;;) {
    const query = queryString({ ...filters, cursor, limit: '500' });
    const page = await getJson<Page<GraphEntry>>(`api/v1/registry/query?${query}`);
    entries.push(...page.entries);
    if (page.next_cursor === null) return { entries, truncated: false };
    if (entries.length >= GRAPH_MAX_NODES) return { entries, truncated: true };
    cursor = page.next_cursor;
  }
}

export function GraphPage({ route }: { readonly route: Route }) {
  const lane = route.params.get('lane') ?? '';
  const signal = route.params.get('signal')?.trim() ?? '';
  const key = queryString({ lane, signal });
  const loaded = useAsync(async () => {
    const started = performance.now();
    const { entries, truncated } = await loadEntries({ lane, signal });
    const graph = buildSignalGraph(entries);
    return { graph, truncated, loadMs: performance.now() - started };
  }, key);

  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    location.hash = href('graph', {
      lane: field(form, 'lane'),
      signal: field(form, 'signal'),
    });
  };

  return (
    <section aria-labelledby="graph-title">
      <h1 id="graph-title">Signal graph</h1>
      <form class="search-form" onSubmit={submit} key={key}>
        <label>
          Lane
          <select name="lane">
            <option value="">any</option>
            {LANES.map((name) => (
              <option key={name} value={name} selected={name === lane}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Nodes that emit or subscribe to signal
          <input name="signal" defaultValue={signal} autocomplete="off" />
        </label>
        <button type="submit">Show</button>
      </form>
      {loaded.state === 'loading' && <p role="status">Loading the nodes…</p>}
      {loaded.state === 'error' && <ErrorLine error={loaded.error} />}
      {loaded.state === 'done' && (
        <>
          <p role="status" id="graph-summary">
            {loaded.value.graph.nodes} nodes, {loaded.value.graph.signals.size} signals,{' '}
            {loaded.value.graph.edges.length} edges
            {loaded.value.truncated
              ? ` (the first ${GRAPH_MAX_NODES}; filter by lane or signal to see the rest)`
              : ''}
            .
          </p>
          <Legend />
          <GraphCanvas graph={loaded.value.graph} loadMs={loaded.value.loadMs} />
          <Orphans graph={loaded.value.graph} filtered={key !== ''} />
          <SignalTable graph={loaded.value.graph} />
        </>
      )}
    </section>
  );
}

function Legend() {
  return (
    <ul class="legend" aria-label="Legend">
      {Object.entries(LANE_COLOURS).map(([lane, colour]) => (
        <li key={lane}>
          <svg width="12" height="12" aria-hidden="true">
            <rect width="12" height="12" fill={colour} />
          </svg>{' '}
          node, {lane} lane
        </li>
      ))}
      <li>
        <svg width="12" height="12" aria-hidden="true">
          <circle cx="6" cy="6" r="5" fill={SIGNAL_COLOUR} />
        </svg>{' '}
        signal
      </li>
    </ul>
  );
}

interface View {
  scale: number;
  dx: number;
  dy: number;
}

function fit(vertices: readonly GraphVertex[], width: number, height: number): View {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const v of vertices) {
    const x = v.x ?? 0;
    const y = v.y ?? 0;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  if (!Number.isFinite(minX)) return { scale: 1, dx: width / 2, dy: height / 2 };
  const margin = 16;
  const scale = Math.min(
    (width - 2 * margin) / Math.max(maxX - minX, 1),
    (height - 2 * margin) / Math.max(maxY - minY, 1),
    4,
  );
  return {
    scale,
    dx: width / 2 - ((minX + maxX) / 2) * scale,
    dy: height / 2 - ((minY + maxY) / 2) * scale,
  };
}

function draw(
  context: CanvasRenderingContext2D,
  graph: SignalGraph,
  view: View,
  selected: GraphVertex | undefined,
  edges: boolean,
): void {
  const { width, height } = context.canvas;
  context.clearRect(0, 0, width, height);
  const { scale, dx, dy } = view;
  if (edges) {
    context.lineWidth = 0.5;
    context.strokeStyle = 'rgba(60, 60, 60, 0.25)';
    context.beginPath();
    for (const edge of graph.edges) {
      context.moveTo((edge.source.x ?? 0) * scale + dx, (edge.source.y ?? 0) * scale + dy);
      context.lineTo((edge.target.x ?? 0) * scale + dx, (edge.target.y ?? 0) * scale + dy);
    }
    context.stroke();
  }
  const size = Math.max(2, Math.min(6, scale * 4));
  for (const [lane, colour] of Object.entries(LANE_COLOURS)) {
    context.fillStyle = colour;
    for (const v of graph.vertices)
      if (v.kind === 'node' && v.lane === lane)
        context.fillRect(
          (v.x ?? 0) * scale + dx - size / 2,
          (v.y ?? 0) * scale + dy - size / 2,
          size,
          size,
        );
  }
  context.fillStyle = SIGNAL_COLOUR;
  context.beginPath();
  for (const v of graph.vertices) {
    if (v.kind !== 'signal') continue;
    const x = (v.x ?? 0) * scale + dx;
    const y = (v.y ?? 0) * scale + dy;
    context.moveTo(x + size / 2, y);
    context.arc(x, y, size / 2, 0, 2 * Math.PI);
  }
  context.fill();
  if (selected !== undefined) {
    context.strokeStyle = '#000';
    context.lineWidth = 2;
    context.strokeRect(
      (selected.x ?? 0) * scale + dx - size,
      (selected.y ?? 0) * scale + dy - size,
      size * 2,
      size * 2,
    );
  }
}

/** The user's zoom and pan, applied on top of the view that fits the layout in the canvas. */
interface Zoom {
  k: number;
  x: number;
  y: number;
}

const MIN_ZOOM = 0.5;
const MAX_ZOOM = 64;

function zoomed(view: View, zoom: Zoom): View {
  return {
    scale: view.scale * zoom.k,
    dx: view.dx * zoom.k + zoom.x,
    dy: view.dy * zoom.k + zoom.y,
  };
}

function GraphCanvas({ graph, loadMs }: { readonly graph: SignalGraph; readonly loadMs: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [selected, setSelected] = useState<GraphVertex | undefined>(undefined);
  const state = useRef<{
    /** The view that fits the layout; `view` is it zoomed. */
    fitted: View;
    view: View;
    zoom: Zoom;
    selected?: GraphVertex;
    find?: (x: number, y: number) => GraphVertex | undefined;
    /** Whether edges are drawn now (always, or once the layout settled). */
    edges: () => boolean;
    /** Where a pointer went down (a drag pans; a press without moving picks a vertex). */
    press?: { x: number; y: number; moved: boolean };
  }>({
    fitted: { scale: 1, dx: 0, dy: 0 },
    view: { scale: 1, dx: 0, dy: 0 },
    zoom: { k: 1, x: 0, y: 0 },
    edges: () => true,
  });

  /** Draws the graph again in the current view (after a zoom, a pan or a selection). */
  const redraw = () => {
    const element = canvas.current;
    const context = element?.getContext('2d');
    if (element == null || context == null) return;
    state.current.view = zoomed(state.current.fitted, state.current.zoom);
    element.dataset.zoom = String(Math.round(state.current.zoom.k * 100) / 100);
    draw(context, graph, state.current.view, state.current.selected, state.current.edges());
  };

  /** Zooms by `factor` around the canvas point (`cx`, `cy`), which stays where it is. */
  const zoomAt = (factor: number, cx: number, cy: number) => {
    const { fitted, zoom } = state.current;
    const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom.k * factor));
    const applied = k / zoom.k;
    const dx = fitted.dx * zoom.k + zoom.x;
    const dy = fitted.dy * zoom.k + zoom.y;
    state.current.zoom = {
      k,
      x: cx - (cx - dx) * applied - fitted.dx * k,
      y: cy - (cy - dy) * applied - fitted.dy * k,
    };
    redraw();
  };

  const zoomCentre = (factor: number) => {
    const element = canvas.current;
    if (element !== null) zoomAt(factor, element.width / 2, element.height / 2);
  };

  useEffect(() => {
    const element = canvas.current;
    const context = element?.getContext('2d');
    if (element === null || context == null) return;
    const width = element.clientWidth;
    const height = element.clientHeight;
    element.width = width;
    element.height = height;
    const simulation = forceSimulation<GraphVertex, GraphEdge>(graph.vertices)
      .force('link', forceLink<GraphVertex, GraphEdge>(graph.edges).distance(20).strength(0.3))
      .force('charge', forceManyBody<GraphVertex>().strength(-12).theta(1.2).distanceMax(200))
      .force('x', forceX<GraphVertex>().strength(0.05))
      .force('y', forceY<GraphVertex>().strength(0.05))
      .alphaDecay(1 - Math.pow(0.001, 1 / ticksFor(graph.vertices.length)))
      .stop();
    state.current.find = (x, y) => simulation.find(x, y, 12 / state.current.view.scale);
    let frame = 0;
    let ticks = 0;
    const settled = () => simulation.alpha() <= simulation.alphaMin();
    state.current.edges = () => settled() || graph.edges.length <= MOVING_EDGES;
    const render = () => {
      state.current.fitted = fit(graph.vertices, width, height);
      redraw();
    };
    render();
    // For the benchmark (scripts/bench-explorer.js): milliseconds since navigation began.
    element.dataset.firstDrawMs = String(Math.round(performance.now()));
    element.dataset.loadMs = String(Math.round(loadMs));
    let lastFrame = performance.now();
    let longestFrame = 0;
    const step = () => {
      const frameStart = performance.now();
      longestFrame = Math.max(longestFrame, frameStart - lastFrame);
      lastFrame = frameStart;
      while (
        simulation.alpha() > simulation.alphaMin() &&
        performance.now() - frameStart < FRAME_BUDGET_MS
      ) {
        simulation.tick();
        ticks++;
      }
      render();
      if (simulation.alpha() > simulation.alphaMin()) frame = requestAnimationFrame(step);
      else {
        element.dataset.settledMs = String(Math.round(performance.now()));
        element.dataset.ticks = String(ticks);
        element.dataset.longestFrameMs = String(Math.round(longestFrame));
      }
    };
    frame = requestAnimationFrame(step);
    return () => {
      cancelAnimationFrame(frame);
      simulation.stop();
    };
  }, [graph, loadMs]);

  /** The canvas point of a pointer event. */
  const at = (event: MouseEvent): { x: number; y: number } => {
    const bounds = canvas.current?.getBoundingClientRect();
    return { x: event.clientX - (bounds?.left ?? 0), y: event.clientY - (bounds?.top ?? 0) };
  };

  const pick = (event: MouseEvent) => {
    const point = at(event);
    const { scale, dx, dy } = state.current.view;
    const vertex = state.current.find?.((point.x - dx) / scale, (point.y - dy) / scale);
    state.current.selected = vertex;
    setSelected(vertex);
    redraw();
  };

  const pointerDown = (event: PointerEvent) => {
    state.current.press = { ...at(event), moved: false };
    canvas.current?.setPointerCapture(event.pointerId);
  };
  const pointerMove = (event: PointerEvent) => {
    const press = state.current.press;
    if (press === undefined) return;
    const point = at(event);
    if (!press.moved && Math.hypot(point.x - press.x, point.y - press.y) < 4) return;
    press.moved = true;
    state.current.zoom.x += point.x - press.x;
    state.current.zoom.y += point.y - press.y;
    press.x = point.x;
    press.y = point.y;
    redraw();
  };
  const pointerUp = (event: PointerEvent) => {
    const press = state.current.press;
    state.current.press = undefined;
    if (press !== undefined && !press.moved) pick(event);
  };
  const wheel = (event: WheelEvent) => {
    event.preventDefault();
    const point = at(event);
    zoomAt(Math.exp(-event.deltaY / 500), point.x, point.y);
  };

  const info = selected === undefined ? undefined : graph.signals.get(selected.id);
  return (
    <div class="graph">
      <canvas
        ref={canvas}
        id="graph-canvas"
        class="graph-canvas"
        role="img"
        aria-label={`Signal graph of ${graph.nodes} nodes and ${graph.signals.size} signals; the signal table below lists the same edges`}
        onPointerDown={pointerDown}
        onPointerMove={pointerMove}
        onPointerUp={pointerUp}
        onWheel={wheel}
      />
      <div class="graph-tools" role="group" aria-label="Zoom">
        <button
          type="button"
          onClick={() => {
            zoomCentre(1.5);
          }}
        >
          Zoom in
        </button>
        <button
          type="button"
          onClick={() => {
            zoomCentre(1 / 1.5);
          }}
        >
          Zoom out
        </button>
        <button
          type="button"
          onClick={() => {
            state.current.zoom = { k: 1, x: 0, y: 0 };
            redraw();
          }}
        >
          Fit
        </button>
        <span>Scroll to zoom, drag to pan, click a vertex to name it.</span>
      </div>
      <div class="graph-selection" aria-live="polite">
        {selected === undefined && <p>No vertex selected.</p>}
        {selected?.kind === 'node' && (
          <p>
            Node <a href={href('node', selected.id)}>{selected.id}</a> ({selected.lane} lane)
          </p>
        )}
        {selected?.kind === 'signal' && info !== undefined && (
          <p>
            Signal <a href={href('search', { signal: selected.id })}>{selected.id}</a>: emitted by{' '}
            {info.emitters.length}, subscribed to by {info.subscribers.length}
          </p>
        )}
      </div>
    </div>
  );
}

const LISTED = 200;

function Orphans({ graph, filtered }: { readonly graph: SignalGraph; readonly filtered: boolean }) {
  const block = (title: string, id: string, names: readonly string[]) => (
    <div>
      <h3 id={id}>
        {title} ({names.length})
      </h3>
      {names.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul aria-labelledby={id} class="orphans">
          {names.slice(0, LISTED).map((name) => (
            <li key={name}>
              <a href={href('search', { signal: name })}>{name}</a>
            </li>
          ))}
          {names.length > LISTED && <li>… and {names.length - LISTED} more</li>}
        </ul>
      )}
    </div>
  );
  return (
    <section aria-labelledby="orphans-title">
      <h2 id="orphans-title">Orphan signals</h2>
      {filtered && <p>Among the nodes shown (the filter applies).</p>}
      <div class="two-columns">
        {block('Subscribed to, never emitted', 'never-emitted', graph.neverEmitted)}
        {block('Emitted, never subscribed to', 'never-subscribed', graph.neverSubscribed)}
      </div>
    </section>
  );
}

function SignalTable({ graph }: { readonly graph: SignalGraph }) {
  const rows = [...graph.signals.entries()];
  return (
    <details class="signal-table">
      <summary>Every signal, its emitters and subscribers ({rows.length})</summary>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Signal</th>
              <th scope="col">Emitted by</th>
              <th scope="col">Subscribed to by</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, LISTED).map(([name, { emitters, subscribers }]) => (
              <tr key={name}>
                <th scope="row">
                  <a href={href('search', { signal: name })}>{name}</a>
                </th>
                <td>{emitters.length <= 5 ? emitters.join(', ') : `${emitters.length} nodes`}</td>
                <td>
                  {subscribers.length <= 5 ? subscribers.join(', ') : `${subscribers.length} nodes`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length > LISTED && <p>The first {LISTED} signals; filter to see others.</p>}
    </details>
  );
}
