import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import type { CampaignInput } from '../../contracts/index.ts';
import { parseCampaign } from '../../runtime/index.ts';

/**
 * One of the examples with overrides merged in (top-level keys replace the example's), as the parsed campaign
 * and its YAML source, for tests and benchmarks that need a real campaign of a given size.
 */
export function exampleCampaign(
  example: 'colour-mixing' | 'lattice-toughness',
  overrides: Partial<CampaignInput> = {},
) {
  const base = parse(
    readFileSync(new URL(`../../examples/${example}.yaml`, import.meta.url), 'utf8'),
  ) as CampaignInput;
  const source = stringify({ ...base, ...overrides });
  return { campaign: parseCampaign(source, `${example} with overrides`), source };
}
