export { feedToLegacy, LegacyRefusedError, toLegacyFeedEntry } from './anti-corruption.ts';
