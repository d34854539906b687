import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CampaignSchema } from '../../contracts/campaign.ts';
import { ContractError, parseWith } from '../../contracts/errors.ts';
import { CampaignSpecSchema } from './campaign.mini.ts';

const examples = ['colour-mixing', 'lattice-toughness'].map(
  (name) =>
    parse(readFileSync(new URL(`../../examples/${name}.yaml`, import.meta.url), 'utf8')) as Record<
      string,
      unknown
    >,
);
const [colour, lattice] = examples as [Record<string, unknown>, Record<string, unknown>];
const step = { name: 'mix', device: 'liquid-handler', command: 'mix', timeout: 60 };

/** Valid campaigns and damaged ones: both schemas must give the same data, defaults and errors on each. */
const corpus: unknown[] = [
  colour,
  lattice,
  { ...colour, seed: undefined, lab: undefined, approval: undefined, simulators: undefined },
  {
    ...colour,
    constraints: [
      { type: 'sum', parameters: ['red', 'yellow', 'blue'], equals: 300 },
      { type: 'outcome', name: 'purity', atLeast: 0.9 },
    ],
    approval: { require: 'outside-limits', limits: [{ parameter: 'red', max: 80 }] },
    simulators: [{ kind: 'liquid-handler', faults: [{ code: 'Clog', every: 5 }] }],
  },
  {
    ...colour,
    planner: {
      strategy: 'bo',
      batch: 4,
      acquisition: 'ucb',
      beta: 2,
      remote: [
        { adapter: 'sagemaker', endpoint: 'gp-endpoint', region: 'eu-west-1' },
        {
          adapter: 'openai',
          endpoint: 'https://llm.example.org/v1',
          model: 'm',
          when: { minObservations: 20 },
        },
      ],
    },
  },
  { ...colour, space: [{ name: 'x', type: 'continuous', low: 1, high: 1 }] },
  { ...colour, space: [{ name: 'x', type: 'continuous', low: 0, high: 1, scale: 'log' }] },
  {
    ...colour,
    space: [
      { name: 'x', type: 'integer', low: 1.5, high: 3 },
      { name: 'c', type: 'categorical', choices: ['a', 'a'] },
      { name: 'c', type: 'categorical', choices: ['a'] },
    ],
  },
  { ...colour, space: [] },
  { ...colour, objectives: [] },
  { ...colour, budget: { experiments: 0, failures: 1.5 } },
  { ...colour, planner: { strategy: 'gradient', batch: 200 } },
  { ...colour, planner: { strategy: 'bo', remote: { adapter: 'openai', endpoint: 'ftp://x' } } },
  { ...colour, planner: { strategy: 'bo', remote: { adapter: 'sagemaker', endpoint: 'no spaces allowed' } } },
  { ...colour, protocol: { steps: [step, step], output: '{}' } },
  { ...colour, protocol: { steps: [], output: '' } },
  {
    ...colour,
    constraints: [
      { type: 'sum', parameters: ['red'], equals: 1 },
      { type: 'outcome', name: 'p' },
      { type: 'outcome', name: 'p', atLeast: 2, atMost: 1 },
    ],
  },
  { ...colour, approval: { require: 'sometimes', limits: [{ parameter: 'red' }], timeout: 0 } },
  { ...colour, simulators: [{ kind: 'LH', count: 40, faults: [{ code: 'clog' }] }] },
  { ...colour, name: 'Colour Mixing', seed: -1 },
  {},
  'not a campaign',
];

function outcome(run: () => unknown): { data: unknown } | { name: string; message: string } {
  try {
    return { data: run() };
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    return { name: error.name, message: error.message };
  }
}

describe('CampaignSpecSchema (zod/mini) against CampaignSchema', () => {
  it('parses, defaults and rejects every campaign of the corpus exactly as the contract does', () => {
    let rejected = 0;
    for (const campaign of corpus) {
      const classic = outcome(() => parseWith(CampaignSchema, campaign, 'campaign'));
      const mini = outcome(() => parseWith(CampaignSpecSchema, campaign, 'campaign'));
      expect(mini, JSON.stringify(campaign).slice(0, 200)).toEqual(classic);
      if ('message' in classic) rejected += 1;
    }
    expect(rejected).toBeGreaterThan(10);
    expect(rejected).toBeLessThan(corpus.length - 4);
  });
});
