import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { type Campaign, CampaignSchema, ContractError, parseWith } from '../contracts/index.ts';
import { expressionSyntaxError } from '../workflows/index.ts';

/**
 * Parses a campaign file's text (YAML or JSON). Throws a {@link ContractError} that lists every bad field with
 * what was expected, including JSONata expressions that do not parse.
 */
export function parseCampaign(source: string, name = 'campaign file'): Campaign {
  let raw: unknown;
  try {
    raw = parseYaml(source);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : '';
    throw new ContractError(name, [`not valid YAML${where}: ${(error as Error).message.split('\n')[0]}`], {
      cause: error,
    });
  }
  const campaign = parseWith(CampaignSchema, raw, name);
  const issues: string[] = [];
  campaign.protocol.steps.forEach((step, i) => {
    const error = expressionSyntaxError(step.input);
    if (error) issues.push(`protocol.steps[${i}].input: not a valid JSONata expression: ${error}`);
  });
  const outputError = expressionSyntaxError(campaign.protocol.output);
  if (outputError) issues.push(`protocol.output: not a valid JSONata expression: ${outputError}`);
  const kinds = new Set(campaign.protocol.steps.map((s) => s.device));
  if (campaign.simulators.length > 0)
    for (const kind of kinds)
      if (!campaign.simulators.some((s) => s.kind === kind))
        issues.push(
          `simulators: the protocol needs a "${kind}" device but none is simulated (add { kind: ${kind} })`,
        );
  if (issues.length > 0) throw new ContractError(name, issues);
  return campaign;
}

/** Reads and parses a campaign file from disk. */
export function loadCampaign(file: string): { campaign: Campaign; source: string } {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ContractError(`campaign file ${file}`, [`cannot be read: ${(error as Error).message}`], {
      cause: error,
    });
  }
  return { campaign: parseCampaign(source, `campaign file ${file}`), source };
}
