export * from './agent.ts';
export * from './capabilities.ts';
export * from './catalogue.ts';
export * from './driver.ts';
export { cataloguedEnvelope, catalogueEnvelopes } from './envelopes.ts';
export * from './errors.ts';
export * from './journal.ts';
export * from './reserved.ts';
export * from './topics.ts';
