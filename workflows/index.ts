export * from './campaign.machine.ts';
export * from './command-id.ts';
export * from './errors.ts';
export * from './experiment.machine.ts';
export * from './expressions.ts';
export * from './proposals.ts';
export * from './protocol.ts';
