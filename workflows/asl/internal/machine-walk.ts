import { AslCompileError } from '../errors.ts';
import { variablesOf } from '../jsonata-env.ts';
import type { MachineTwins } from '../types.ts';

/** The parts of an XState v5 state node the compiler reads (`machine.root` and its descendants). */
export interface MachineNode {
  key: string;
  path: string[];
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  states: Record<string, MachineNode>;
  transitions: Map<string, MachineTransition[]>;
  always?: MachineTransition[];
  after: Array<MachineTransition & { delay: string | number }>;
  invoke: Array<{ src: unknown; id: string; input?: unknown }>;
  entry: unknown[];
  exit: unknown[];
  initial?: { target: MachineNode[] };
  parent?: MachineNode;
}

/** A transition of a state node. */
export interface MachineTransition {
  target?: readonly MachineNode[];
  source: MachineNode;
  actions: readonly unknown[];
  reenter: boolean;
  guard?: unknown;
  eventType: string;
}

/** A value in an `Assign`: a JSON literal, or a JSONata expression that may read `$event`. */
export type AssignValue = { literal: unknown } | { expr: string };

/** The assignments of a transition, in the order XState applies them. */
export type Assignments = Map<string, AssignValue>;

/** A resolved transition: the ASL state to go to and what to assign on the way. */
export interface Edge {
  next: string;
  assign: Assignments;
}

/** Dot path of a node, `(root)` for the machine itself. */
export function pathOf(node: MachineNode): string {
  return node.path.length === 0 ? '(root)' : node.path.join('.');
}

const IGNORED_VARIABLES = new Set(['event', 'states', 'input']);

/** The context variables a value reads. */
export function readsOf(value: AssignValue): Set<string> {
  if ('literal' in value) return new Set();
  return new Set([...variablesOf(value.expr)].filter((name) => !IGNORED_VARIABLES.has(name)));
}

/** Reads the machine's actions and guards into JSONata, with errors that name the state and construct. */
export class MachineReader {
  constructor(
    readonly machineId: string,
    readonly twins: MachineTwins,
    readonly implementations: { actions: Record<string, unknown>; guards: Record<string, unknown> },
    readonly skipActions: Record<string, string>,
  ) {}

  fail(node: MachineNode | string, construct: string, detail: string): never {
    throw new AslCompileError(
      this.machineId,
      typeof node === 'string' ? node : pathOf(node),
      construct,
      detail,
    );
  }

  /** The atomic state a transition into `node` ends in. */
  resolveAtomic(node: MachineNode): MachineNode {
    if (node.type === 'parallel')
      this.fail(
        node,
        'parallel state',
        'parallel regions share one context in XState but not in an ASL Parallel state; split the regions into separate machines',
      );
    if (node.type === 'history') this.fail(node, 'history state', 'Step Functions has no history states');
    if (node.type === 'compound') {
      const initial = node.initial?.target[0];
      if (!initial) this.fail(node, 'compound state without an initial state', 'give it `initial`');
      return this.resolveAtomic(initial);
    }
    return node;
  }

  /** JSONata condition of a guard. */
  guard(node: MachineNode, guard: unknown): string {
    const name =
      typeof guard === 'string'
        ? guard
        : guard && typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string'
          ? (guard as { type: string }).type
          : undefined;
    if (name === undefined)
      this.fail(
        node,
        'inline guard function',
        'name the guard in setup({ guards }) and give it a JSONata twin',
      );
    const twin = this.twins.guards[name];
    if (twin === undefined)
      this.fail(
        node,
        `guard "${name}"`,
        `no JSONata twin; add it to the machine's twins under guards.${name}`,
      );
    return twin;
  }

  /** JSONata of a delay, in ms. */
  delay(node: MachineNode, delay: string | number): string {
    if (typeof delay === 'number') return String(delay);
    const twin = this.twins.delays[delay];
    if (twin === undefined)
      this.fail(
        node,
        `delay "${delay}"`,
        `no JSONata twin; add it to the machine's twins under delays.${delay}`,
      );
    return twin;
  }

  private assignment(node: MachineNode, assignment: unknown, site: string): Assignments {
    const out: Assignments = new Map();
    const twins = this.twins.assigns[site];
    if (typeof assignment === 'function') {
      if (!twins)
        this.fail(
          node,
          `assign function at ${site}`,
          `no JSONata twin; add every key it assigns to twins.assigns["${site}"]`,
        );
      for (const [key, expr] of Object.entries(twins)) out.set(key, { expr });
      return out;
    }
    for (const [key, value] of Object.entries(assignment as Record<string, unknown>)) {
      if (typeof value === 'function') {
        const expr = twins?.[key];
        if (expr === undefined)
          this.fail(
            node,
            `assign to ${key} at ${site}`,
            `no JSONata twin; add it to twins.assigns["${site}"].${key}`,
          );
        out.set(key, { expr });
      } else out.set(key, { literal: value === undefined ? null : value });
    }
    return out;
  }

  /** The assignments of a list of actions; other actions must be skipped by name, with a reason. */
  actions(node: MachineNode, actions: readonly unknown[], site: string): Assignments {
    let merged: Assignments = new Map();
    for (const action of actions) {
      let next: Assignments | undefined;
      const kind = (action as { type?: unknown } | null)?.type;
      if (typeof action === 'string' || (typeof action === 'object' && typeof kind === 'string')) {
        const name = typeof action === 'string' ? action : (kind as string);
        const impl = this.implementations.actions[name] as
          | { type?: string; assignment?: unknown }
          | undefined;
        if (impl?.type === 'xstate.assign') next = this.assignment(node, impl.assignment, `action:${name}`);
        else if (this.skipActions[name] !== undefined) continue;
        else
          this.fail(
            node,
            `action "${name}"`,
            'only assign actions compile; give the cloud a reason to do without it in options.skipActions',
          );
      } else if (typeof action === 'function') {
        const fn = action as { type?: string; assignment?: unknown; delay?: unknown };
        if (fn.type === 'xstate.assign') next = this.assignment(node, fn.assignment, site);
        else if ((fn.type === 'xstate.raise' && fn.delay !== undefined) || fn.type === 'xstate.cancel')
          continue; // the timers behind `after`, compiled as Wait states and task timeouts
        else
          this.fail(
            node,
            `inline action (${fn.type ?? 'function'}) at ${site}`,
            'name it in setup({ actions })',
          );
      } else this.fail(node, `action at ${site}`, `unrecognised action ${JSON.stringify(action)}`);
      merged = this.merge(node, merged, next, site);
    }
    return merged;
  }

  /**
   * Applies `later` after `earlier` in one `Assign` (where every expression sees the values before the state):
   * possible only when `later` reads nothing `earlier` assigns.
   */
  merge(node: MachineNode, earlier: Assignments, later: Assignments, site: string): Assignments {
    const out = new Map(earlier);
    for (const [key, value] of later) {
      const clash = [...readsOf(value)].find((name) => earlier.has(name));
      if (clash !== undefined)
        this.fail(
          node,
          `assign to ${key} at ${site}`,
          `it reads ${clash}, which an earlier action of the same step assigns; one ASL Assign evaluates every value against the values before it`,
        );
      out.set(key, value);
    }
    return out;
  }

  /** Whether two assignments can be merged (see {@link merge}). */
  canMerge(earlier: Assignments, later: Assignments): boolean {
    return [...later.values()].every((value) => [...readsOf(value)].every((name) => !earlier.has(name)));
  }
}

/** Event handlers a state answers (its own first, then its ancestors'), without XState's internal events. */
export function eventHandlers(
  node: MachineNode,
): Array<{ event: string; owner: MachineNode; list: MachineTransition[] }> {
  const out: Array<{ event: string; owner: MachineNode; list: MachineTransition[] }> = [];
  const seen = new Set<string>();
  for (let n: MachineNode | undefined = node; n; n = n.parent) {
    for (const [event, list] of n.transitions) {
      if (event.startsWith('xstate.') || seen.has(event)) continue;
      if (event === '*' || event.endsWith('.*'))
        throw new AslCompileError(
          'machine',
          pathOf(n),
          `wildcard event "${event}"`,
          'name each operator event',
        );
      seen.add(event);
      out.push({ event, owner: n, list });
    }
  }
  return out;
}

/** The site name of a transition's assigns, as the twins table keys them. */
export function siteOf(owner: MachineNode, kind: string, index: number): string {
  return `${pathOf(owner)}.${kind}${index === 0 ? '' : `.${index}`}`;
}
