/** parley/v1: the one rule engine. Pure TypeScript, no framework, no I/O. */
export * from './types';
export * from './violations';
export * from './encoding';
export * from './strict-json';
export * from './crypto';
export * from './keys';
export * from './envelope';
export * from './canonical-scan';
export * from './shape';
export * from './negotiation/channel-state';
export * from './negotiation/recipients';
export * from './negotiation/type-rules';
export * from './negotiation/check';
export * from './negotiation/evolve';
export * from './negotiation/fold-stored';
export * from './verifier';
export * from './http-signature';
