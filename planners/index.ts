export * from './create-planner.ts';
export * from './errors.ts';
export * from './observations.ts';
export * from './planner.ts';
export * from './random-planner.ts';
export * from './sobol.ts';
export * from './sobol-planner.ts';
export * from './space.ts';
