export { StreamGapError } from './errors.ts';
export { projectStream, rebuildStream, type Projection, type ProjectorOptions, type StreamOutcome, type ViewRow } from './projector.ts';
