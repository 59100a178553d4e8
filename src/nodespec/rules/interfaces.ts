import type { LintRule } from './rule.js';

/** Reports every element whose key was already seen earlier in the list. */
function reportDuplicates<T>(
  items: readonly T[] | undefined,
  keyOf: (item: T) => string,
  onDuplicate: (index: number, key: string, firstIndex: number) => void,
): void {
  const first = new Map<string, number>();
  items?.forEach((item, index) => {
    const key = keyOf(item);
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, index);
    else onDuplicate(index, key, earlier);
  });
}

export const uniqueEmittedSignals: LintRule = {
  id: 'NS004',
  name: 'unique-emitted-signals',
  severity: 'error',
  rationale:
    'A signal emitted twice under one name has two contracts; subscribers cannot tell which applies.',
  check(spec, _context, report) {
    reportDuplicates(
      spec.interfaces.signals.emits,
      (emit) => emit.name,
      (index, name, earlier) => {
        report(
          `/interfaces/signals/emits/${index}/name`,
          `emitted signal ${JSON.stringify(name)} is declared twice (first at emits[${earlier}])`,
        );
      },
    );
  },
};

export const uniquePortNames: LintRule = {
  id: 'NS012',
  name: 'unique-port-names',
  severity: 'error',
  rationale: 'Inputs and outputs are addressed by name; two ports with one name are ambiguous.',
  check(spec, _context, report) {
    for (const side of ['inputs', 'outputs'] as const) {
      reportDuplicates(
        spec.interfaces[side],
        (port) => port.name,
        (index, name, earlier) => {
          report(
            `/interfaces/${side}/${index}/name`,
            `${side.slice(0, -1)} ${JSON.stringify(name)} is declared twice (first at ${side}[${earlier}])`,
          );
        },
      );
    }
  },
};

export const uniqueSubscriptions: LintRule = {
  id: 'NS013',
  name: 'unique-subscriptions',
  severity: 'warning',
  rationale: 'The same signal routed to the same handler twice delivers every event twice.',
  check(spec, _context, report) {
    reportDuplicates(
      spec.interfaces.signals.subscribes,
      (s) => `${s.signal}\u0000${s.handler}`,
      (index, _key, earlier) => {
        const s = spec.interfaces.signals.subscribes?.[index];
        report(
          `/interfaces/signals/subscribes/${index}`,
          `subscription of ${JSON.stringify(s?.signal)} to handler ${JSON.stringify(s?.handler)} repeats subscribes[${earlier}]`,
        );
      },
    );
  },
};
