/** A file that checks its answers against the API description must have checked some (test/helpers/api-description.ts). */
import { afterAll, expect } from 'vitest';
import { answerStats, checkedApis } from '../helpers/api-description.ts';

afterAll(() => {
  if (checkedApis() > 0) expect(answerStats.checked, 'answers checked against the API description').toBeGreaterThan(0);
});
