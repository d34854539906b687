export * from './access.ts';
export * from './errors.ts';
export * from './lab-view.ts';
export * from './lan-address.ts';
export * from './server.ts';
