export * from './build.ts';
export * from './errors.ts';
