export * from './errors.ts';
export * from './main.ts';
