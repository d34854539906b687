import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import type { CampaignInput } from '../../contracts/index.ts';
import { parseCampaign } from '../../runtime/index.ts';

/**
 * One of the examples with overrides merged in (top-level keys replace the example's), as the parsed campaign
 * and its YAML source, for tests and benchmarks that need a real campaign of a given size. The planner is
 * `{ strategy: 'sobol', batch: 4 }` unless `overrides.planner` says otherwise.
 */
export function exampleCampaign(
  example: 'colour-mixing' | 'lattice-toughness',
  overrides: Partial<CampaignInput> = {},
) {
  const base = parse(
    readFileSync(new URL(`../../examples/${example}.yaml`, import.meta.url), 'utf8'),
  ) as CampaignInput;
  // Tests default to Sobol batches of 4: integration tests rely on its speed and on proposals that do not
  // depend on measured values. A test that wants the example's own planner passes `planner` explicitly.
  const source = stringify({ ...base, planner: { strategy: 'sobol', batch: 4 }, ...overrides });
  return { campaign: parseCampaign(source, `${example} with overrides`), source };
}
