import { describe, expect, it } from 'vitest';
import { ExtensionKeys, REE_NAMESPACE } from './extension.js';

const gs1 = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

describe('ExtensionKeys.touches: whether an event carries our extension (the rare-earth rules then apply)', () => {
  const keys = new ExtensionKeys([
    gs1,
    { ree: REE_NAMESPACE, r2: { '@id': REE_NAMESPACE }, other: 'urn:x:' },
  ]);

  it('finds our fields under every prefix the context binds to our namespace, and under the full IRI', () => {
    expect(keys.touches({ type: 'ObjectEvent', 'ree:process': 'separation' })).toBe(true);
    expect(keys.touches({ type: 'ObjectEvent', 'r2:process': 'separation' })).toBe(true);
    expect(keys.touches({ type: 'ObjectEvent', [`${REE_NAMESPACE}process`]: 'separation' })).toBe(true);
    expect(keys.touches({ type: 'ObjectEvent', ilmd: { 'ree:lots': [] } })).toBe(true);
  });

  it('ignores other namespaces, prefixes that only begin like ours, and bare words', () => {
    expect(keys.touches({ type: 'ObjectEvent', 'other:process': 'x', 'reex:process': 'x', ree: 1 })).toBe(
      false,
    );
    expect(keys.touches({ type: 'ObjectEvent', 'r:lots': 1, 're:lots': 1, ':lots': 1 })).toBe(false);
    expect(keys.touches({ type: 'ObjectEvent', ilmd: { 'other:lots': [] } })).toBe(false);
  });

  it('sees no extension in a document whose context never binds our namespace', () => {
    const plain = new ExtensionKeys([gs1, { ree: 'urn:somebody-else:' }]);
    expect(plain.touches({ type: 'ObjectEvent', 'ree:process': 'separation' })).toBe(false);
    expect(plain.touches({ type: 'ObjectEvent', [`${REE_NAMESPACE}process`]: 'separation' })).toBe(true);
  });
});
