/**
 * The signal graph of a set of entries: a vertex per node and per signal, an edge from each
 * emitter to its signal and from each signal to each subscriber (linear in the NodeSpecs'
 * signal lists, where node-to-node edges would be quadratic in a signal's fan-out), and the
 * orphans: signals subscribed to and never emitted, emitted and never subscribed to.
 */
export interface GraphVertex {
  readonly id: string;
  readonly kind: 'node' | 'signal';
  readonly lane?: string;
  x?: number;
  y?: number;
  vx?: number;
  vy?: number;
}

export interface GraphEdge {
  readonly source: GraphVertex;
  readonly target: GraphVertex;
}

export interface SignalGraph {
  readonly vertices: GraphVertex[];
  readonly edges: GraphEdge[];
  readonly nodes: number;
  /** By signal name: who emits it and who subscribes to it. */
  readonly signals: ReadonlyMap<string, { emitters: string[]; subscribers: string[] }>;
  readonly neverEmitted: readonly string[];
  readonly neverSubscribed: readonly string[];
}

export interface GraphEntry {
  readonly registry_id: string;
  readonly lane: string;
  readonly node_spec: Readonly<Record<string, unknown>>;
}

function names(list: unknown, member: string): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const item of list as unknown[]) {
    const value = (item as Record<string, unknown> | null)?.[member];
    if (typeof value === 'string') out.push(value);
  }
  return out;
}

/** The signals a NodeSpec emits (`interfaces.signals.emits[].name`) and subscribes to. */
export function signalsOf(spec: Readonly<Record<string, unknown>>): {
  emits: string[];
  subscribes: string[];
} {
  const interfaces = spec.interfaces as Record<string, unknown> | undefined;
  const signals = interfaces?.signals as Record<string, unknown> | undefined;
  return {
    emits: names(signals?.emits, 'name'),
    subscribes: names(signals?.subscribes, 'signal'),
  };
}

export function buildSignalGraph(entries: readonly GraphEntry[]): SignalGraph {
  const vertices: GraphVertex[] = [];
  const edges: GraphEdge[] = [];
  const signalVertices = new Map<string, GraphVertex>();
  const signals = new Map<string, { emitters: string[]; subscribers: string[] }>();
  const signalVertex = (name: string): GraphVertex => {
    let vertex = signalVertices.get(name);
    if (vertex === undefined) {
      vertex = { id: name, kind: 'signal' };
      signalVertices.set(name, vertex);
      signals.set(name, { emitters: [], subscribers: [] });
      vertices.push(vertex);
    }
    return vertex;
  };
  for (const entry of entries) {
    const node: GraphVertex = { id: entry.registry_id, kind: 'node', lane: entry.lane };
    vertices.push(node);
    const { emits, subscribes } = signalsOf(entry.node_spec);
    for (const name of new Set(emits)) {
      edges.push({ source: node, target: signalVertex(name) });
      signals.get(name)?.emitters.push(entry.registry_id);
    }
    for (const name of new Set(subscribes)) {
      edges.push({ source: signalVertex(name), target: node });
      signals.get(name)?.subscribers.push(entry.registry_id);
    }
  }
  const sorted = [...signals.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    vertices,
    edges,
    nodes: entries.length,
    signals: new Map(sorted),
    neverEmitted: sorted.filter(([, s]) => s.emitters.length === 0).map(([name]) => name),
    neverSubscribed: sorted.filter(([, s]) => s.subscribers.length === 0).map(([name]) => name),
  };
}
