/**
 * The explorer's pure parts, in Node.js: the signal graph model (vertices, edges, orphans) and
 * the hash router. The pages are tested in Chromium (test/browser/explorer.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { buildSignalGraph, signalsOf, type GraphEntry } from '../../explorer/graph-model.js';
import { href, parseHash } from '../../explorer/routes.js';

function entry(id: string, emits: string[], subscribes: string[], lane = 'core'): GraphEntry {
  return {
    registry_id: id,
    lane,
    node_spec: {
      interfaces: {
        signals: {
          emits: emits.map((name) => ({ name, latency_target_ms: 5 })),
          subscribes: subscribes.map((signal) => ({ signal, handler: 'h' })),
        },
      },
    },
  };
}

describe('the signal graph model', () => {
  it('links emitters to their signal and the signal to its subscribers, and lists orphans', () => {
    const graph = buildSignalGraph([
      entry('a@1.0.0', ['x', 'y'], ['z']),
      entry('b@1.0.0', ['x'], ['y', 'w']),
      entry('c@1.0.0', [], ['x'], 'candidate'),
    ]);
    expect(graph.nodes).toBe(3);
    expect([...graph.signals.keys()]).toStrictEqual(['w', 'x', 'y', 'z']);
    expect(graph.signals.get('x')).toStrictEqual({
      emitters: ['a@1.0.0', 'b@1.0.0'],
      subscribers: ['c@1.0.0'],
    });
    // Subscribed, never emitted: w and z; emitted, never subscribed: none (x and y both are).
    expect(graph.neverEmitted).toStrictEqual(['w', 'z']);
    expect(graph.neverSubscribed).toStrictEqual([]);
    expect(graph.vertices).toHaveLength(3 + 4);
    // One edge per (node, signal) reference: a->x, a->y, z->a, b->x, y->b, w->b, x->c.
    expect(graph.edges.map((e) => `${e.source.id}>${e.target.id}`).sort()).toStrictEqual(
      [
        'a@1.0.0>x',
        'a@1.0.0>y',
        'z>a@1.0.0',
        'b@1.0.0>x',
        'y>b@1.0.0',
        'w>b@1.0.0',
        'x>c@1.0.0',
      ].sort(),
    );
    expect(graph.vertices.find((v) => v.id === 'c@1.0.0')?.lane).toBe('candidate');
  });

  it('counts a signal listed twice by one node once, and reads nothing from malformed lists', () => {
    const graph = buildSignalGraph([
      entry('a@1.0.0', ['x', 'x'], []),
      {
        registry_id: 'b@1.0.0',
        lane: 'core',
        node_spec: { interfaces: { signals: { emits: 'x' } } },
      },
      { registry_id: 'c@1.0.0', lane: 'core', node_spec: {} },
    ]);
    expect(graph.edges).toHaveLength(1);
    expect(graph.neverSubscribed).toStrictEqual(['x']);
    expect(
      signalsOf({ interfaces: { signals: { subscribes: [{ signal: 3 }, null] } } }),
    ).toStrictEqual({
      emits: [],
      subscribes: [],
    });
  });
});

describe('the hash router', () => {
  it('round-trips views, ids with @ and query parameters', () => {
    const link = href('node', 'memory_adapter@1.0.0');
    expect(link).toBe('#/node/memory_adapter%401.0.0');
    expect(parseHash(link).segments).toStrictEqual(['node', 'memory_adapter@1.0.0']);
    const search = href('search', { signal: 'a b', lane: '', cursor: undefined, limit: 5 });
    expect(search).toBe('#/search?signal=a+b&limit=5');
    const route = parseHash(search);
    expect(route.segments).toStrictEqual(['search']);
    expect(route.params.get('signal')).toBe('a b');
    expect(parseHash('').segments).toStrictEqual([]);
    expect(parseHash('#/node/%E0%A4%A').segments).toStrictEqual(['node', '%E0%A4%A']);
  });
});
