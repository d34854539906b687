import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  DeviceCommandSchema,
  DeviceDescriptorSchema,
  DeviceEventSchema,
  DeviceStatusSchema,
  ExperimentProposalSchema,
  FaultSchema,
  ObjectiveSchema,
  ProtocolStepSchema,
} from '../../contracts/index.ts';
import { miniModule } from './mini-codegen.ts';

/** The contract schemas the Lambdas parse, by the name the generated module exports. */
export const lambdaContracts = {
  DeviceCommandSchema,
  DeviceDescriptorSchema,
  DeviceEventSchema,
  DeviceStatusSchema,
  ExperimentProposalSchema,
  FaultSchema,
  ObjectiveSchema,
  ProtocolStepSchema,
};

/** Where the generated module lives. */
export const GENERATED_PATH = fileURLToPath(new URL('./contracts.mini.ts', import.meta.url));

/** The generated module's text, formatted as the repository formats it (so a check-in compares equal). */
export function generateMiniSchemas(): string {
  return execFileSync(
    fileURLToPath(new URL('../../node_modules/.bin/biome', import.meta.url)),
    ['format', `--stdin-file-path=${GENERATED_PATH}`],
    {
      input: miniModule(lambdaContracts, 'contracts/'),
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'ignore'],
    },
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(GENERATED_PATH, generateMiniSchemas());
  console.log(`wrote ${GENERATED_PATH}`);
}
