/** Plain JSON, as the generator emits it (no classes, no undefined), so that output is byte-stable. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** One EPCIS 2.0 event in the JSON-LD binding. */
export type EpcisEventJson = JsonObject;

/** One EPCIS 2.0 capture document in the JSON-LD binding. */
export interface EpcisDocumentJson {
  '@context': JsonValue[];
  type: 'EPCISDocument';
  schemaVersion: '2.0';
  creationDate: string;
  epcisHeader?: { epcisMasterData: { vocabularyList: JsonObject[] } };
  epcisBody: { eventList: EpcisEventJson[] };
}
