export * from './campaign.twins.ts';
export * from './cloud-options.ts';
export * from './compile-machine.ts';
export * from './errors.ts';
export * from './execution-names.ts';
export * from './experiment.twins.ts';
export * from './jsonata-env.ts';
export * from './types.ts';
