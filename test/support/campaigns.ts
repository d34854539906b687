import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import type { CampaignInput } from '../../contracts/index.ts';
import { parseCampaign } from '../../runtime/index.ts';

/**
 * The colour-mixing example with overrides merged in (top-level keys replace the example's), as the parsed
 * campaign and its YAML source, for tests that need a real campaign of a given size.
 */
export function colourCampaign(overrides: Partial<CampaignInput> = {}) {
  const example = parse(
    readFileSync(new URL('../../examples/colour-mixing.yaml', import.meta.url), 'utf8'),
  ) as CampaignInput;
  const source = stringify({ ...example, ...overrides });
  return { campaign: parseCampaign(source, 'test campaign'), source };
}
