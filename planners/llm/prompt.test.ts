import { describe, expect, it } from 'vitest';
import type { DesignSpace, Objective } from '../../contracts/index.ts';
import type { Observation } from '../planner.ts';
import { buildChatRequest, buildPlanningMessages, selectHistory } from './prompt.ts';

const space: DesignSpace = [
  { name: 'T', type: 'continuous', low: 20, high: 80, scale: 'linear', unit: '°C' },
  { name: 'conc', type: 'continuous', low: 0.001, high: 10, scale: 'log', unit: 'mM' },
  { name: 'n', type: 'integer', low: 1, high: 4 },
  { name: 'solvent', type: 'categorical', choices: ['water', 'ethanol'] },
];
const objectives: Objective[] = [{ name: 'yield', goal: 'maximise', target: 0.95, unit: 'fraction' }];
const obs = (T: number, y: number): Observation => ({
  parameters: { T, conc: 0.1, n: 2, solvent: 'water' },
  values: { yield: y },
});

describe('buildPlanningMessages', () => {
  it('describes the space, the objectives, the history, the pending points and the count', () => {
    const [system, user] = buildPlanningMessages({
      space,
      objectives,
      observations: [obs(30, 0.2), obs(60, 0.7)],
      pending: [{ T: 45, conc: 1, n: 3, solvent: 'ethanol' }],
      count: 3,
    });
    expect(system?.role).toBe('system');
    expect(system?.content).toContain('{"proposals": [{"parameters"');
    expect(user?.content).toBe(
      [
        'Design space:',
        '- T: continuous number from 20 to 80 °C (linear scale)',
        '- conc: continuous number from 0.001 to 10 mM (log scale: spread proposals over orders of magnitude)',
        '- n: integer from 1 to 4',
        '- solvent: categorical, one of "water", "ethanol"',
        '',
        'Objectives:',
        '- yield (fraction): maximise; target 0.95',
        '',
        'Observations (2 so far):',
        'T,conc,n,solvent,yield',
        '30,0.1,2,"water",0.2',
        '60,0.1,2,"water",0.7',
        '',
        'Pending (being measured now; do not repeat):',
        'T,conc,n,solvent',
        '45,1,3,"ethanol"',
        '',
        'Propose 3 new experiments as {"proposals": [...]} with exactly 3 entries.',
      ].join('\n'),
    );
  });

  it('says when there is no history yet', () => {
    const [, user] = buildPlanningMessages({ space, objectives, observations: [], pending: [], count: 1 });
    expect(user?.content).toContain('Observations (0 so far):\nnone yet');
    expect(user?.content).toContain('Propose 1 new experiment as {"proposals": [...]} with exactly 1 entry.');
  });
});

describe('selectHistory', () => {
  it('keeps the best quarter and the latest when the history is long, in their original order', () => {
    const history = Array.from({ length: 40 }, (_, i) =>
      obs(20 + i, i === 3 ? 0.99 : i === 7 ? 0.98 : i / 100),
    );
    const { shown, note } = selectHistory(history, objectives, 8);
    expect(shown).toHaveLength(8);
    const Ts = shown.map((o) => o.parameters.T);
    expect(Ts.slice(0, 2)).toEqual([23, 27]);
    expect(Ts.slice(2)).toEqual([54, 55, 56, 57, 58, 59]);
    expect(note).toBe('40 so far; showing 8: the 2 best by yield and the latest');
  });

  it('takes the lowest values as best when minimising', () => {
    const history = [obs(20, 5), obs(21, 1), obs(22, 9), obs(23, 7), obs(24, 8)];
    const { shown } = selectHistory(history, [{ name: 'yield', goal: 'minimise' }], 4);
    expect(shown.map((o) => o.parameters.T)).toEqual([21, 22, 23, 24]);
  });
});

describe('buildChatRequest', () => {
  it('asks for JSON with a low temperature and the seed, and lets the route override', () => {
    const request = buildChatRequest(
      { space, objectives, observations: [], pending: [], count: 2 },
      { model: 'qwen2.5-72b', seed: 9, options: { temperature: 0.7, max_tokens: 800 } },
    );
    expect(request).toMatchObject({
      model: 'qwen2.5-72b',
      temperature: 0.7,
      max_tokens: 800,
      seed: 9,
      response_format: { type: 'json_object' },
    });
    expect(request.messages).toHaveLength(2);
  });
});
