import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';

describe('matriz CLI', () => {
  it('validates the bundled examples with exit 0', async () => {
    const io = captureIo();
    expect(await main(['nodespec', 'validate', 'examples/'], io)).toBe(0);
    expect(io.out()).toContain('2 files checked: 2 valid, 0 invalid');
  });
});
