/**
 * Reading standard EPCIS fields that several parts of raretrace need in the same way.
 */

/**
 * The party a source or destination list names: the `owning_party` entry if there is one, else the
 * `possessing_party` (CBV 2.0 §7.4 SourceDestType, in any of its spellings: bare, URN or GS1 Web URI).
 */
export function sourceDestParty(
  event: Readonly<Record<string, unknown>>,
  list: 'sourceList' | 'destinationList',
): string | undefined {
  const entries = event[list];
  if (!Array.isArray(entries)) return undefined;
  let possessing: string | undefined;
  for (const entry of entries) {
    if (entry === null || typeof entry !== 'object') continue;
    const record = entry as Record<string, unknown>;
    const type = typeof record.type === 'string' ? record.type : '';
    const raw = list === 'sourceList' ? record.source : record.destination;
    if (typeof raw !== 'string') continue;
    if (type.endsWith('owning_party')) return raw;
    if (type.endsWith('possessing_party')) possessing ??= raw;
  }
  return possessing;
}
